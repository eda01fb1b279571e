using System.Collections.Concurrent;

namespace Memcov.Cli;

/// <summary>
/// What targets print on stderr that a run reports: the runtime's own <c>memcov:</c> lines (a
/// region that could not be attached, a module that did not fit), counted by distinct line.
/// </summary>
internal sealed class TargetMessages
{
    /// <summary>The prefix of the runtime's lines.</summary>
    public const string Prefix = "memcov:";

    /// <summary>How many distinct lines a run keeps, so a chatty target cannot fill memory.</summary>
    private const int MaxMessages = 100;

    private readonly ConcurrentDictionary<string, int> _lines = new(StringComparer.Ordinal);

    /// <summary>The distinct lines and how many runs printed each, sorted.</summary>
    public IReadOnlyList<(string Message, int Runs)> Lines =>
        [.. _lines.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => (m.Key, m.Value))];

    /// <summary>Counts a line that did not come through a target's stderr.</summary>
    public void Add(string line) => _lines.AddOrUpdate(line, 1, static (_, n) => n + 1);

    /// <summary>Reads one target's stderr to its end (the target and its group are gone), so a chatty target never blocks on a full pipe.</summary>
    public void ReadToEnd(StreamReader stderr)
    {
        try
        {
            while (stderr.ReadLine() is string line)
            {
                if (line.StartsWith(Prefix, StringComparison.Ordinal) && (_lines.Count < MaxMessages || _lines.ContainsKey(line)))
                {
                    Add(line);
                }
            }
        }
        catch (IOException)
        {
            // The pipe broke: the target and its group are gone.
        }
    }

    /// <summary>The first of the runtime's lines in <paramref name="stderr"/> (what a server that did not start said), without its prefix; or null.</summary>
    public static string? FirstLine(string stderr) =>
        stderr.Split('\n').FirstOrDefault(l => l.StartsWith(Prefix, StringComparison.Ordinal))?[Prefix.Length..].Trim();
}
