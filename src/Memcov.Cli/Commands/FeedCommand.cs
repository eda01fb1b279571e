using System.CommandLine;
using System.IO.Pipelines;
using Memcov.Cli.Reports;
using Memcov.SharedMem;
using Spectre.Console;

namespace Memcov.Cli.Commands;

/// <summary>
/// <c>memcov feed FEED [--json]</c>: a feed's records, in order: when, how many edges were covered
/// and new, and the input that first reached them (<c>memcov run --record</c>).
/// </summary>
internal static class FeedCommand
{
    public static Command Create(CliConsole console)
    {
        var feed = new Argument<FileInfo>("feed") { Description = "A feed written by 'memcov run --record' or 'memcov watch --record'." };
        var json = CliApp.JsonOption();
        var command = new Command("feed", "List a coverage feed's records: new edges over time, and which input first reached them.") { feed, json };
        command.SetAction((parse, cancel) => CliApp.Guard(console, async () =>
        {
            FileInfo input = parse.GetValue(feed)!;
            var records = new List<FeedEntry>();
            await using (FileStream stream = RegularFile.OpenRead(input.FullName))
            {
                var reader = new FeedReader(PipeReader.Create(stream));
                while (await reader.MoveNextAsync(cancel).ConfigureAwait(false))
                {
                    FeedRecord r = reader.Current;
                    records.Add(new FeedEntry(Math.Round(r.Elapsed.TotalSeconds, 6), r.Covered, r.Allocated, r.Input, r.NewEdges.ToArray()));
                }
            }

            if (parse.GetValue(json))
            {
                Json.Write(console.Out, records);
                return 0;
            }

            var table = new Table().AddColumn("seconds").AddColumn("covered").AddColumn("new").AddColumn("input");
            foreach (FeedEntry e in records.Where(e => e.NewEdges.Length > 0))
            {
                table.AddRow($"{e.ElapsedSeconds:0.000}", $"{e.Covered}", $"+{e.NewEdges.Length}", Printable.Markup(e.Input ?? "-"));
            }

            console.Ui.Write(table);
            return 0;
        }));
        return command;
    }
}

/// <summary>One record of <c>memcov feed --json</c>: its time, counts, input (null for a plain sample) and new edge slots.</summary>
internal sealed record FeedEntry(double ElapsedSeconds, long Covered, long Allocated, string? Input, uint[] NewEdges);
