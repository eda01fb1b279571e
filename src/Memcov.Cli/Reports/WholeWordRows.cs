using Spectre.Console;
using Spectre.Console.Rendering;

namespace Memcov.Cli.Reports;

/// <summary>
/// Table and grid rows whose cells never break a word: a cell wraps between words, and a word wider
/// than its column (a path, an identity) is shortened with an ellipsis, in a pipe (80 columns) and
/// on a narrow terminal alike (into a pipe, tables have 160 columns). Columns of numbers are NoWrap
/// where the tables are made, so they keep their width and the text columns shorten.
/// <c>--json</c> has every value whole.
/// </summary>
internal static class WholeWordRows
{
    public static Table AddWholeWordRow(this Table table, params string[] markup) => table.AddRow(Cells(markup));

    public static Grid AddWholeWordRow(this Grid grid, params string[] markup) => grid.AddRow(Cells(markup));

    private static IRenderable[] Cells(string[] markup) => [.. markup.Select(m => new Markup(m) { Overflow = Overflow.Ellipsis })];
}
