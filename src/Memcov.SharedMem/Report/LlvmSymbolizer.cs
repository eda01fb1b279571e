using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

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
    /// <exception cref="IOException">The symbolizer failed, ran too long, or printed something that is not its JSON.</exception>
    /// <remarks>
    /// The addresses go in from a file and the answers out into one: llvm-symbolizer flushes after
    /// every answer, and through a pipe that is a write and a wake-up per address, which cost more
    /// than its work. It runs as a target (its own process group, killed with this process), bounded
    /// in time. One process: two, each loading the module's line tables, were slower on two cores.
    /// </remarks>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the symbolizer was killed.</exception>
    public static SourceFrame[][] Symbolize(string symbolizer, string binary, IReadOnlyList<ulong> addresses, CancellationToken cancellationToken = default)
    {
        DirectoryInfo work = Directory.CreateTempSubdirectory("memcov-symbolize-");
        try
        {
            string input = Path.Combine(work.FullName, "addresses");
            string output = Path.Combine(work.FullName, "answers");
            File.WriteAllBytes(input, AddressLines(addresses));
            Run(symbolizer, binary, input, output, TimeLimitMs(addresses.Count), cancellationToken);
            using FileStream answers = File.OpenRead(output);
            var lines = new LineReader(answers);
            var parser = new AnswerParser(symbolizer);
            var result = new SourceFrame[addresses.Count][];
            for (int i = 0; i < result.Length; i++)
            {
                if (!lines.TryRead(out ReadOnlySpan<byte> line))
                {
                    throw new IOException($"{symbolizer} answered {i} of the {result.Length} addresses of {binary}.");
                }

                result[i] = parser.Parse(line);
            }

            return result;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    // A minute, and a millisecond for every 100 addresses: llvm-symbolizer answers tens of thousands a second.
    private static int TimeLimitMs(int addresses) => 60_000 + (addresses / 100);

    private static void Run(string symbolizer, string binary, string input, string output, int timeLimitMs, CancellationToken cancellationToken)
    {
        using SafeFileHandle answers = File.OpenHandle(output, FileMode.CreateNew, FileAccess.Write);
        var info = new TargetStartInfo(symbolizer)
        {
            StandardInputFile = input,
            StandardOutput = answers,
            CaptureStandardError = true,
        };
        foreach (string arg in new[] { "--output-style=JSON", "--inlines", "--demangle", $"--obj={binary}" })
        {
            info.Arguments.Add(arg);
        }

        using TargetProcess process = TargetProcess.Start(info);
        Task<string> errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
        long deadline = Environment.TickCount64 + timeLimitMs;
        TargetExit exit;
        while (!process.WaitForExit(100, out exit))
        {
            if (cancellationToken.IsCancellationRequested || Environment.TickCount64 > deadline)
            {
                process.Kill();
                _ = process.WaitForExit(-1, out _);
                cancellationToken.ThrowIfCancellationRequested();
                throw new IOException($"{symbolizer} did not finish symbolizing {binary} within {timeLimitMs / 1000} s: killed.");
            }
        }

        if (!exit.Exited || exit.ExitCode != 0)
        {
            throw new IOException($"{symbolizer} failed ({exit}) on {binary}: {errors.Result.Trim()}");
        }
    }

    private static byte[] AddressLines(IReadOnlyList<ulong> addresses)
    {
        var text = new MemoryStream(addresses.Count * 12);
        Span<byte> line = stackalloc byte[24];
        foreach (ulong a in addresses)
        {
            line[0] = (byte)'0';
            line[1] = (byte)'x';
            a.TryFormat(line[2..], out int n, "x", CultureInfo.InvariantCulture);
            line[2 + n] = (byte)'\n';
            text.Write(line[..(n + 3)]);
        }

        return text.ToArray();
    }

    /// <summary>Lines of a stream as UTF-8 bytes, read in large blocks; a line longer than any answer is refused.</summary>
    private sealed class LineReader(Stream stream)
    {
        private const int MaxLine = 64 << 20;

        private byte[] _buffer = new byte[1 << 20];
        private int _start;
        private int _end;

        public bool TryRead(out ReadOnlySpan<byte> line)
        {
            while (true)
            {
                int newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
                if (newline >= 0)
                {
                    line = _buffer.AsSpan(_start, newline);
                    _start += newline + 1;
                    return true;
                }

                if (_start > 0)
                {
                    _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                    _end -= _start;
                    _start = 0;
                }
                else if (_end == _buffer.Length)
                {
                    if (_buffer.Length >= MaxLine)
                    {
                        throw new IOException($"The symbolizer printed a line of more than {MaxLine} bytes.");
                    }

                    Array.Resize(ref _buffer, _buffer.Length * 2);
                }

                int read = stream.Read(_buffer, _end, _buffer.Length - _end);
                if (read == 0)
                {
                    line = default;
                    return false;
                }

                _end += read;
            }
        }
    }

    /// <summary>
    /// Reads the symbolizer's JSON answers straight from their bytes; file and function names,
    /// repeated in almost every answer, are kept once.
    /// </summary>
    private sealed class AnswerParser(string symbolizer)
    {
        private readonly Dictionary<string, string> _names = [];
        private readonly List<SourceFrame> _frames = [];

        public SourceFrame[] Parse(ReadOnlySpan<byte> line)
        {
            try
            {
                return ParseFrames(line);
            }
            catch (JsonException e)
            {
                throw new IOException($"{symbolizer} printed a line that is not its JSON: {Encoding.UTF8.GetString(line)}", e);
            }
        }

        private SourceFrame[] ParseFrames(ReadOnlySpan<byte> line)
        {
            var reader = new Utf8JsonReader(line);
            _frames.Clear();
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new JsonException("not an object");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool symbols = reader.ValueTextEquals("Symbol"u8);
                reader.Read();
                if (!symbols || reader.TokenType != JsonTokenType.StartArray)
                {
                    reader.Skip();
                    continue;
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                {
                    string function = "", file = "";
                    int number = 0;
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        if (reader.ValueTextEquals("FunctionName"u8))
                        {
                            reader.Read();
                            function = Name(ref reader);
                        }
                        else if (reader.ValueTextEquals("FileName"u8))
                        {
                            reader.Read();
                            file = Name(ref reader);
                        }
                        else if (reader.ValueTextEquals("Line"u8))
                        {
                            reader.Read();
                            number = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int v) ? v : 0;
                        }
                        else
                        {
                            reader.Read();
                            reader.Skip();
                        }
                    }

                    if (function.Length > 0 && function != "??" && file.Length > 0)
                    {
                        _frames.Add(new SourceFrame(function, file, number));
                    }
                }
            }

            return [.. _frames];
        }

        private string Name(ref Utf8JsonReader reader)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                reader.Skip();
                return "";
            }

            ReadOnlySpan<byte> raw = reader.ValueSpan;
            if (reader.ValueIsEscaped || raw.Length > 1024)
            {
                return reader.GetString() ?? "";
            }

            // Looked up without a string: the same few names come back in almost every answer.
            Span<char> chars = stackalloc char[raw.Length];
            int n = Encoding.UTF8.GetChars(raw, chars);
            if (_names.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(chars[..n], out string? kept))
            {
                return kept;
            }

            string value = new(chars[..n]);
            _names.Add(value, value);
            return value;
        }
    }
}
