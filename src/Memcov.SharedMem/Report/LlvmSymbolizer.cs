using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Memcov.SharedMem;

/// <summary>
/// One code location of an address: the function and the line, innermost inline frame first. An
/// address in inlined code has a frame per function of its inline chain.
/// </summary>
internal readonly record struct SourceFrame(string Function, string File, int Line);

/// <summary>
/// Symbolizes addresses of one ELF file with <c>llvm-symbolizer</c>: one process per file, every
/// address streamed through it, JSON out, inline frames on.
/// </summary>
internal static class LlvmSymbolizer
{
    /// <summary>The environment variable that names the symbolizer to run.</summary>
    public const string EnvironmentVariable = "MEMCOV_SYMBOLIZER";

    /// <summary>
    /// The symbolizer: <paramref name="explicitPath"/>, else <c>$MEMCOV_SYMBOLIZER</c>, else
    /// <c>llvm-symbolizer</c> or a versioned one on PATH, else one under /usr/lib/llvm-N/bin.
    /// </summary>
    /// <exception cref="FileNotFoundException">None is installed.</exception>
    public static string Find(string? explicitPath)
    {
        string? chosen = explicitPath ?? Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(chosen))
        {
            return File.Exists(chosen) ? chosen
                : throw new FileNotFoundException($"The symbolizer '{chosen}' does not exist.", chosen);
        }

        string[] names = ["llvm-symbolizer", .. Enumerable.Range(14, 17).Reverse().Select(v => $"llvm-symbolizer-{v}")];
        string[] path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries);
        foreach (string name in names)
        {
            foreach (string dir in path)
            {
                string candidate = System.IO.Path.Combine(dir, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        foreach (int version in Enumerable.Range(14, 17).Reverse())
        {
            string candidate = $"/usr/lib/llvm-{version}/bin/llvm-symbolizer";
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException(
            $"llvm-symbolizer was not found (on PATH, as llvm-symbolizer-N, or under /usr/lib/llvm-N/bin): install LLVM (Debian: llvm-14), or name it with --symbolizer or ${EnvironmentVariable}.");
    }

    /// <summary>The frames of each address of <paramref name="binary"/>, in order; an unknown location has no frame.</summary>
    /// <exception cref="IOException">The symbolizer failed or printed something that is not its JSON.</exception>
    public static SourceFrame[][] Symbolize(string symbolizer, string binary, IReadOnlyList<ulong> addresses)
    {
        var start = new ProcessStartInfo(symbolizer)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (string arg in new[] { "--output-style=JSON", "--inlines", "--demangle", $"--obj={binary}" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new IOException($"Cannot start {symbolizer}.");
        Task<string> errors = process.StandardError.ReadToEndAsync();
        // Written from another thread: the symbolizer answers while it reads, and both pipes are finite.
        Task writer = Task.Run(() =>
        {
            using StreamWriter input = process.StandardInput;
            var line = new StringBuilder(32);
            foreach (ulong a in addresses)
            {
                line.Clear().Append("0x").Append(a.ToString("x", CultureInfo.InvariantCulture));
                input.WriteLine(line);
            }
        });
        var result = new SourceFrame[addresses.Count][];
        try
        {
            for (int i = 0; i < result.Length; i++)
            {
                string? line = process.StandardOutput.ReadLine()
                    ?? throw new IOException($"{symbolizer} stopped after {i} of {result.Length} addresses of {binary}: {errors.Result.Trim()}");
                result[i] = Parse(line, symbolizer);
            }

            writer.GetAwaiter().GetResult();
            process.WaitForExit();
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit();
            }
        }

        return result;
    }

    private static SourceFrame[] Parse(string line, string symbolizer)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(line);
            if (!doc.RootElement.TryGetProperty("Symbol", out JsonElement symbols) || symbols.ValueKind != JsonValueKind.Array)
            {
                return [];
            }

            var frames = new List<SourceFrame>(symbols.GetArrayLength());
            foreach (JsonElement s in symbols.EnumerateArray())
            {
                string function = s.TryGetProperty("FunctionName", out JsonElement f) ? f.GetString() ?? "" : "";
                string file = s.TryGetProperty("FileName", out JsonElement n) ? n.GetString() ?? "" : "";
                int number = s.TryGetProperty("Line", out JsonElement l) && l.TryGetInt32(out int v) ? v : 0;
                if (function.Length > 0 && function != "??" && file.Length > 0)
                {
                    frames.Add(new SourceFrame(function, file, number));
                }
            }

            return [.. frames];
        }
        catch (JsonException e)
        {
            throw new IOException($"{symbolizer} printed a line that is not its JSON: {line}", e);
        }
    }
}
