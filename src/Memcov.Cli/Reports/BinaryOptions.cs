using System.CommandLine;
using Memcov.SharedMem;

namespace Memcov.Cli.Reports;

/// <summary>
/// The options of the commands that name code (<c>report</c>, <c>diff --functions</c>): where moved
/// module binaries are (<c>--debug-dir</c>) and which llvm-symbolizer to run (<c>--symbolizer</c>).
/// </summary>
internal sealed class BinaryOptions
{
    private readonly Option<string[]> _debugDirectories = new("--debug-dir")
    {
        Description = "A directory with a .build-id/xx/rest.debug tree, searched for modules whose binary moved (repeatable).",
    };

    private readonly Option<string?> _symbolizer = new("--symbolizer")
    {
        Description = $"The llvm-symbolizer to run (default: ${LlvmSymbolizer.EnvironmentVariable}, else one on PATH).",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(_debugDirectories);
        command.Options.Add(_symbolizer);
    }

    /// <summary>The report options these give.</summary>
    public ReportOptions Read(ParseResult parse)
    {
        var options = new ReportOptions { SymbolizerPath = parse.GetValue(_symbolizer) };
        foreach (string dir in parse.GetValue(_debugDirectories) ?? [])
        {
            options.DebugDirectories.Add(dir);
        }

        return options;
    }
}
