using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;

namespace Memcov.SharedMem.Tests;

/// <summary>
/// The C runtime and the .NET library read the same region files the same way. Seeded files (valid
/// headers with hostile module tables, mutated headers, cut files) go to the runtime's own validator
/// (native/tests/region_verdicts, which links the runtime's objects) and to
/// <see cref="CoverageRegion.Attach"/>: both must accept or refuse each file, with the same kind of
/// error, and read the same module list from it. Whatever .NET accepts also exports to a map file
/// that reads back. Both verdicts are also held against this page's own reading of the rule in
/// docs/region-format.md ("Valid entry"), so a change to the rule on either side fails.
/// </summary>
[Collection(PrivateShmDirCollection.Name)]
public sealed class RegionDifferentialTests
{
    private const int Files = 10_000;
    private const int Batch = 1_000;
    private const int MapOffset = 4096;
    private const int Capacity = 8192;
    private const int TableCapacity = 15;

    private static readonly ulong[] Interesting =
    [
        0, 1, 2, 3, 7, 8, 31, 32, 33, 255, 256, 512, 1000, 4095, 4096, 4097, 8191, 8192, 8193, 12288,
        65536, (1UL << 32) - 4096, 1UL << 32, (1UL << 32) + 1, 1UL << 63, ulong.MaxValue - 4095, ulong.MaxValue,
    ];

    private static readonly (int Offset, int Width)[] HeaderFields =
        [(0, 8), (8, 4), (12, 4), (16, 8), (24, 8), (32, 4), (36, 4), (40, 8), (64, 8), (72, 8), (80, 8), (88, 4), (92, 4), (96, 8), (104, 4), (112, 8)];

    [Fact]
    public void TheRuntimeAndTheLibrary_AcceptRefuseAndReadEveryFileAlike()
    {
        using var dir = new PrivateShmDir();
        var random = new Random(20261205);
        var outcomes = new Dictionary<int, int>();
        int modulesCompared = 0, exported = 0;
        for (int first = 0; first < Files; first += Batch)
        {
            var names = new List<string>(Batch);
            var files = new Dictionary<string, byte[]>(Batch);
            for (int i = first; i < first + Batch; i++)
            {
                string name = $"d{i:D6}";
                names.Add(name);
                byte[] file = Generate(random, out int length);
                files[name] = file.AsSpan(0, length).ToArray();
                string path = Path.Combine(dir.Path, RegionName.FilePrefix + name);
                using var stream = new FileStream(path, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
                stream.Write(file, 0, length);
            }

            Dictionary<string, string> native = RunNative(dir.Path);
            Assert.Equal(names.Count, native.Count);
            foreach (string name in names)
            {
                string[] c = native[name].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                int code = int.Parse(c[0], System.Globalization.CultureInfo.InvariantCulture);
                outcomes[code] = outcomes.GetValueOrDefault(code) + 1;
                (int dotnetCode, IReadOnlyList<RegionModule> modules) = ReadWithDotnet(name, ref exported);
                Assert.True(code == dotnetCode, $"file {name}: the runtime says {code}, .NET says {dotnetCode}");
                string[] expected = c[1..];
                Assert.True(
                    expected.Length == modules.Count,
                    $"file {name}: the runtime reads {expected.Length} modules, .NET {modules.Count}");
                if (code == 0)
                {
                    Assert.Equal(ValidEntries(files[name]), expected.Select(e => e[..e.IndexOf(':', StringComparison.Ordinal)]));
                }
                for (int m = 0; m < modules.Count; m++)
                {
                    Assert.Equal(Describe(expected[m]), Describe(modules[m]));
                    modulesCompared++;
                }
            }

            foreach (string file in Directory.EnumerateFiles(dir.Path))
            {
                File.Delete(file);
            }
        }

        // The generator reaches every outcome, so the comparison covers each.
        Assert.True(
            outcomes.GetValueOrDefault(0) > 1000 && outcomes.GetValueOrDefault(-4) > 1000 && outcomes.GetValueOrDefault(-5) > 50
            && modulesCompared > 5000 && exported > 1000,
            $"outcomes {string.Join(", ", outcomes.Select(o => $"{o.Key}: {o.Value}"))}; {modulesCompared} modules compared, {exported} exported");
    }

    /// <summary>The native code of a .NET outcome, and the modules it read.</summary>
    private static (int Code, IReadOnlyList<RegionModule> Modules) ReadWithDotnet(string name, ref int exported)
    {
        try
        {
            using CoverageRegion region = CoverageRegion.Attach(name);
            IReadOnlyList<RegionModule> modules = region.Modules;

            // What the reader accepts, export writes and import reads.
            byte[] bytes = CoverageMapFile.FromRegion(region).ToBytes();
            Assert.Equal(modules.Select(m => m.Identity).Distinct().Count(), CoverageMapFile.Parse(bytes, name).Modules.Count);
            exported++;
            return (0, modules);
        }
        catch (RegionNotFoundException)
        {
            return (-2, []);
        }
        catch (RegionCorruptException)
        {
            return (-4, []);
        }
        catch (RegionFormatException)
        {
            return (-5, []);
        }
        catch (UnauthorizedAccessException)
        {
            return (-8, []);
        }
        catch (IOException)
        {
            return (-9, []);
        }
    }

    /// <summary>The indexes of the valid entries of an accepted file, by the rule as the docs state it.</summary>
    private static IEnumerable<string> ValidEntries(byte[] file)
    {
        ReadOnlySpan<byte> h = file;
        ulong capacity = BinaryPrimitives.ReadUInt64LittleEndian(h[24..]);
        ulong table = BinaryPrimitives.ReadUInt64LittleEndian(h[40..]);
        ulong mapOffset = BinaryPrimitives.ReadUInt64LittleEndian(h[16..]);
        uint count = Math.Min(Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(h[92..]), BinaryPrimitives.ReadUInt32LittleEndian(h[36..])),
            (uint)((mapOffset - table) / 256));
        var valid = new List<string>();
        for (uint i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> e = h.Slice((int)(table + (256 * i)), 256);
            ulong baseSlot = BinaryPrimitives.ReadUInt64LittleEndian(e);
            ulong edges = BinaryPrimitives.ReadUInt64LittleEndian(e[8..]);
            ulong fileSize = BinaryPrimitives.ReadUInt64LittleEndian(e[16..]);
            uint mode = BinaryPrimitives.ReadUInt32LittleEndian(e[24..]);
            uint kind = BinaryPrimitives.ReadUInt32LittleEndian(e[28..]);
            uint idLen = BinaryPrimitives.ReadUInt32LittleEndian(e[32..]);
            ulong reserved = (edges + 4095) / 4096 * 4096;
            if (mode is 1 or 2 && kind is 1 or 2 && idLen is >= 1 and <= 32 && edges is >= 1 and <= 1UL << 32
                && fileSize < 1UL << 63 && edges <= capacity && baseSlot % 4096 == 0 && reserved <= capacity
                && baseSlot <= capacity - reserved)
            {
                valid.Add(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return valid;
    }

    private static string Describe(RegionModule m) =>
        $"{m.Index}:{m.Base}:{m.EdgeCount}:{m.FileSize}:{(int)m.Mode}:{(int)m.IdKind}:{m.Id}:{m.Path}";

    // The runtime's line for one module, its path decoded as .NET decodes a path.
    private static string Describe(string native)
    {
        string[] f = native.Split(':');
        string path = Encoding.UTF8.GetString(Convert.FromHexString(f[7]));
        return $"{f[0]}:{f[1]}:{f[2]}:{f[3]}:{f[4]}:{f[5]}:{f[6]}:{path}";
    }

    private static Dictionary<string, string> RunNative(string dir)
    {
        var start = new ProcessStartInfo(Path.Combine(RepoPaths.NativeTestsDir, "region_verdicts"), [dir])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"region_verdicts exited {process.ExitCode}: {error}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .ToDictionary(line => line[..line.IndexOf(' ', StringComparison.Ordinal)], line => line[(line.IndexOf(' ', StringComparison.Ordinal) + 1)..]);
    }

    /// <summary>A file: mostly valid headers with hostile module tables, else mutated or cut ones.</summary>
    private static byte[] Generate(Random random, out int length)
    {
        byte[] file = new byte[MapOffset + Capacity];
        Span<byte> h = file;
        RegionFormat.MagicBytes.CopyTo(h);
        BinaryPrimitives.WriteUInt32LittleEndian(h[8..], RegionFormat.Version);
        BinaryPrimitives.WriteUInt32LittleEndian(h[12..], RegionFormat.HeaderSize);
        BinaryPrimitives.WriteUInt64LittleEndian(h[16..], MapOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(h[24..], Capacity);
        BinaryPrimitives.WriteUInt32LittleEndian(h[36..], TableCapacity);
        BinaryPrimitives.WriteUInt64LittleEndian(h[40..], 256);
        RegionHeaderBytes.WriteKindAndLanes(h);
        BinaryPrimitives.WriteUInt64LittleEndian(h[64..], (ulong)(4096 * random.Next(3)));
        int modules = random.Next(TableCapacity + 1);
        BinaryPrimitives.WriteUInt32LittleEndian(h[92..], (uint)modules);
        for (int i = 0; i < modules; i++)
        {
            HostileEntry(random, h[(256 + (256 * i))..]);
        }

        length = file.Length;
        int kind = random.Next(10);
        if (kind >= 7)
        {
            int mutations = random.Next(1, 4);
            for (int m = 0; m < mutations; m++)
            {
                switch (random.Next(4))
                {
                    case 0:
                        var (offset, width) = HeaderFields[random.Next(HeaderFields.Length)];
                        Write(h[offset..], width, Pick(random));
                        break;
                    case 1:
                        file[random.Next(MapOffset)] = (byte)random.Next(256);
                        break;
                    case 2:
                        file[random.Next(96)] ^= (byte)(1 << random.Next(8));
                        break;
                    default:
                        length = random.Next(file.Length);
                        break;
                }
            }
        }

        return file;
    }

    /// <summary>An entry with each field valid, or at an edge, or wild.</summary>
    private static void HostileEntry(Random random, Span<byte> e)
    {
        ulong Field(ulong good) => random.Next(3) == 0 ? Pick(random) : good;
        BinaryPrimitives.WriteUInt64LittleEndian(e, Field((ulong)(4096 * random.Next(2))));
        BinaryPrimitives.WriteUInt64LittleEndian(e[8..], Field((ulong)random.Next(1, 4097)));
        BinaryPrimitives.WriteUInt64LittleEndian(e[16..], random.Next(4) == 0 ? Pick(random) : (ulong)random.Next(1000));
        BinaryPrimitives.WriteUInt32LittleEndian(e[24..], (uint)Field((ulong)random.Next(1, 3)));
        BinaryPrimitives.WriteUInt32LittleEndian(e[28..], (uint)Field((ulong)random.Next(1, 3)));
        BinaryPrimitives.WriteUInt32LittleEndian(e[32..], (uint)Field((ulong)random.Next(1, 33)));
        random.NextBytes(e.Slice(40, 32));
        if (random.Next(4) == 0)
        {
            e.Slice(40, 32).Fill(0); // identities that match each other
        }

        int pathLength = random.Next(0, 200);
        for (int i = 0; i < Math.Min(pathLength, 184); i++)
        {
            e[72 + i] = random.Next(8) == 0 ? (byte)random.Next(1, 256) : (byte)('a' + random.Next(26));
        }
    }

    private static ulong Pick(Random random) => Interesting[random.Next(Interesting.Length)];

    private static void Write(Span<byte> at, int width, ulong value)
    {
        if (width == 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(at, value);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(at, (uint)value);
        }
    }
}
