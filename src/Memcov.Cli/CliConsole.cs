using Spectre.Console;

namespace Memcov.Cli;

/// <summary>Where a command writes: the terminal UI for people, plain stdout for scripts, stderr for errors.</summary>
/// <param name="Ui">Tables, the live view and the summary.</param>
/// <param name="Out">Machine-readable output (<c>--json</c>).</param>
/// <param name="Error">Error messages, one line each, starting with <c>memcov:</c>.</param>
internal sealed record CliConsole(IAnsiConsole Ui, TextWriter Out, TextWriter Error)
{
    /// <summary>Columns of the tables written into a pipe or a file (a terminal gives its own width).</summary>
    public const int RedirectedWidth = 160;

    /// <summary>The process's console; written into a pipe, tables get <see cref="RedirectedWidth"/> columns, not 80.</summary>
    public static CliConsole FromProcess()
    {
        if (Console.IsOutputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("COLUMNS")))
        {
            AnsiConsole.Profile.Width = RedirectedWidth;
        }

        return new(AnsiConsole.Console, Console.Out, Console.Error);
    }

    /// <summary>A console that writes plain text into <paramref name="output"/> and <paramref name="error"/>, for tests.</summary>
    public static CliConsole Capture(TextWriter output, TextWriter error) => new(
        AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        }),
        output,
        error);

    /// <summary>Whether the live view can redraw in place.</summary>
    public bool IsInteractive => Ui.Profile.Capabilities.Interactive && Ui.Profile.Capabilities.Ansi;
}
