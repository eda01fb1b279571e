using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Memcov.SharedMem.Tests;

/// <summary>
/// A running tests/Memcov.TestChild: it runs its inputs, prints a ready line, then waits for a line
/// on stdin, so the parent reads the region while the child is alive and may kill it there.
/// </summary>
internal sealed class DotnetChild : IDisposable
{
    // A bound on a broken child, never a wait for work: the ready line ends every wait.
    private const int TimeoutMs = 60_000;

    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private DotnetChild(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            lock (_stderr)
            {
                _stderr.AppendLine(e.Data);
            }
        };
        _process.BeginErrorReadLine();
    }

    /// <summary>What the child wrote on stderr so far (complete once it has exited).</summary>
    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>
    /// Starts the child on the native release build's sample modules. MEMCOV_REGION and
    /// MEMCOV_LIBRARY are those of <paramref name="environment"/> only, never the test host's.
    /// </summary>
    public static DotnetChild Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(RepoPaths.TestChild)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add("--dir");
        info.ArgumentList.Add(RepoPaths.NativeTestsDir);
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment.Remove(MemcovNative.RegionVariable);
        info.Environment.Remove(MemcovNative.LibraryVariable);
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        return new DotnetChild(Process.Start(info) ?? throw new InvalidOperationException("Memcov.TestChild did not start"));
    }

    /// <summary>Reads the child's ready line: it has run every input and now waits.</summary>
    public ReadyLine WaitReady()
    {
        Task<string?> line = _process.StandardOutput.ReadLineAsync();
        Assert.True(line.Wait(TimeoutMs), $"Memcov.TestChild printed no ready line within {TimeoutMs} ms");
        if (line.Result is null)
        {
            _process.WaitForExit();
            Assert.Fail($"Memcov.TestChild exited with {_process.ExitCode} before it was ready: {Stderr}");
        }

        return ReadyLine.Parse(line.Result);
    }

    /// <summary>Lets the child exit and asserts that it exited with 0.</summary>
    public void Release()
    {
        _process.StandardInput.WriteLine();
        _process.StandardInput.Close();
        Assert.True(_process.WaitForExit(TimeoutMs), $"Memcov.TestChild did not exit within {TimeoutMs} ms");
        _process.WaitForExit(); // drains stderr
        Assert.True(_process.ExitCode == 0, $"Memcov.TestChild exited with {_process.ExitCode}: {Stderr}");
    }

    /// <summary>SIGKILLs the child and returns its exit code once it is gone.</summary>
    public int Kill()
    {
        _process.Kill();
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    /// <summary>
    /// "ready attached=1 region=NAME now=N modules=M private=P library=PATH": what MemcovNative
    /// reported in the child after its inputs ran.
    /// </summary>
    internal sealed record ReadyLine(bool Attached, string Region, long Now, int Modules, int Private, string Library)
    {
        public static ReadyLine Parse(string line)
        {
            Assert.StartsWith("ready ", line);
            const string LibraryKey = " library=";
            int library = line.IndexOf(LibraryKey, StringComparison.Ordinal);
            Assert.True(library > 0, $"no library in '{line}'");
            var fields = line["ready ".Length..library]
                .Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(f => f.Split('=', 2))
                .ToDictionary(f => f[0], f => f[1]);
            return new ReadyLine(
                fields["attached"] == "1",
                fields["region"],
                long.Parse(fields["now"], CultureInfo.InvariantCulture),
                int.Parse(fields["modules"], CultureInfo.InvariantCulture),
                int.Parse(fields["private"], CultureInfo.InvariantCulture),
                line[(library + LibraryKey.Length)..]);
        }
    }
}
