using System.CommandLine;
using System.CommandLine.Parsing;
using Memcov.Cli.Reports;

namespace Memcov.Cli;

/// <summary>
/// An option a command does not know, which the parser would hand to the target's command line
/// (the trailing <c>command</c> argument of <c>memcov run</c>): <c>memcov run --jbos 2 -- t {}</c>
/// would otherwise try to start a program named <c>--jbos</c>. Anything before <c>--</c> that looks
/// like an option, or a program name that does, is one; the message suggests the nearest known option.
/// </summary>
internal static class UnknownOptions
{
    /// <summary>The name of the trailing argument that takes a target's command line.</summary>
    public const string CommandArgument = "command";

    /// <summary>The usage line for the first unknown option, or null.</summary>
    public static string? Find(ParseResult parsed)
    {
        Command command = parsed.CommandResult.Command;
        Argument? trailing = command.Arguments.FirstOrDefault(a => a.Name == CommandArgument);
        if (trailing is null || parsed.GetResult(trailing) is not ArgumentResult result || result.Tokens.Count == 0)
        {
            return null;
        }

        IReadOnlyList<Token> all = parsed.Tokens;
        int dashes = -1;
        for (int i = 0; i < all.Count; i++)
        {
            if (all[i].Type == TokenType.DoubleDash)
            {
                dashes = i;
                break;
            }
        }

        foreach (Token token in result.Tokens)
        {
            int at = IndexOf(all, token);
            bool beforeDashes = dashes < 0 ? ReferenceEquals(token, result.Tokens[0]) : at >= 0 && at < dashes;
            if (beforeDashes && token.Value.Length > 1 && token.Value[0] == '-')
            {
                string? near = Nearest(token.Value, command.Options.SelectMany(o => o.Aliases.Append(o.Name)));
                return $"memcov: 'memcov {command.Name}' has no option '{Printable.Escape(token.Value)}'"
                    + (near is null ? "" : $" (did you mean '{near}'?)")
                    + $"; the target's command goes after '--' (see memcov {command.Name} --help)";
            }
        }

        return null;
    }

    private static int IndexOf(IReadOnlyList<Token> tokens, Token token)
    {
        for (int i = 0; i < tokens.Count; i++)
        {
            if (ReferenceEquals(tokens[i], token))
            {
                return i;
            }
        }

        return -1;
    }

    // The known name fewest edits away, if it is near enough to be what was meant.
    private static string? Nearest(string typed, IEnumerable<string> known)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string name in known.Where(n => n.StartsWith("--", StringComparison.Ordinal) == typed.StartsWith("--", StringComparison.Ordinal)))
        {
            int d = Distance(typed, name);
            if (d < bestDistance)
            {
                (best, bestDistance) = (name, d);
            }
        }

        return bestDistance <= Math.Max(2, typed.Length / 3) ? best : null;
    }

    // Optimal string alignment distance: a swap of two neighbours ("jbos") counts as one edit.
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (int j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
