using Memcov.Cli.Reports;
using Memcov.SharedMem;

namespace Memcov.Cli;

/// <summary>
/// The inputs of <c>memcov run --inputs DIR</c>: the directory's regular files, symlinks to them
/// included, sorted by name. Anything else is skipped with one <c>memcov:</c> line each: a FIFO would
/// stop the run in open() until some process writes it, and a device or a socket is no input.
/// </summary>
internal static class InputFiles
{
    /// <summary>Lists the inputs of <paramref name="directory"/>, reporting what is skipped to <paramref name="report"/>.</summary>
    public static List<string> List(string directory, TextWriter report)
    {
        var inputs = new List<string>();
        foreach (string file in Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal))
        {
            if (RegularFile.WhyNotRegular(file, followSymlink: true) is string why)
            {
                report.WriteLine($"memcov: skipping the input '{Printable.Escape(file)}': it {why}.");
            }
            else
            {
                inputs.Add(file);
            }
        }

        return inputs;
    }
}
