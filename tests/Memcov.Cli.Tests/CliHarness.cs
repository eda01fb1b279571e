namespace Memcov.Cli.Tests;

/// <summary>Runs the memcov command in this process and captures what it writes.</summary>
internal static class CliHarness
{
    public sealed record Result(int Code, string Out, string Err);

    public static async Task<Result> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        CliConsole console = CliConsole.Capture(output, error);
        console.Ui.Profile.Width = 200; // wide enough that no table cell a test reads is wrapped
        int code = await CliApp.RunAsync(args, console);
        return new Result(code, output.ToString(), error.ToString());
    }
}
