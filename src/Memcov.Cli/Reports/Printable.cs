using System.Text;

namespace Memcov.Cli.Reports;

/// <summary>
/// Strings the tool did not write itself — module paths, identities and region names read from region
/// and map files, file names, parts of error messages — made safe for a terminal.
/// </summary>
/// <remarks>
/// Such a string may hold control characters: an ESC would start an escape sequence that recolours,
/// moves the cursor or retitles the window; a BEL rings; a newline forges a line of output. Every C0
/// and C1 control character and DEL is shown as a visible escape (<c>\x1b</c>) instead; the rest of
/// the string is kept as it is.
/// </remarks>
internal static class Printable
{
    /// <summary><paramref name="text"/> with its control characters written as <c>\xNN</c>.</summary>
    public static string Escape(string? text)
    {
        if (text is null || !text.Any(IsControl))
        {
            return text ?? string.Empty;
        }

        var escaped = new StringBuilder(text.Length + 8);
        foreach (char c in text)
        {
            if (IsControl(c))
            {
                escaped.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
            }
            else
            {
                escaped.Append(c);
            }
        }

        return escaped.ToString();
    }

    /// <summary><see cref="Escape"/>, then escaped for Spectre markup, for a table cell or a markup line.</summary>
    public static string Markup(string? text) => Spectre.Console.Markup.Escape(Escape(text));

    private static bool IsControl(char c) => c is <= '\x1f' or (>= '\x7f' and <= '\x9f');
}
