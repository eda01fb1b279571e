namespace Memcov.Cli.Tests;

/// <summary>Runs the memcov command in this process and captures what it writes.</summary>
internal static class CliHarness
{
    public sealed record Result(int Code, string Out, string Err);

    public static async Task<Result> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = await CliApp.RunAsync(args, CliConsole.Capture(output, error));
        return new Result(code, output.ToString(), error.ToString());
    }

    /// <summary>A path in a fresh temporary directory of the test.</summary>
    public static string TempFile(string name) => Path.Combine(Directory.CreateTempSubdirectory("memcov-cli-").FullName, name);
}
