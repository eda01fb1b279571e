using System.Buffers.Binary;

namespace Memcov.SharedMem.Tests;

/// <summary>
/// Thousands of mutated region files: each one attaches and reads safely, or raises the specific
/// exception of the check it fails. Never an access violation, never another exception type.
/// </summary>
public sealed class RegionHeaderFuzzTests : RegionTestBase
{
    private const int Iterations = 3000;
    private const int MapOffset = 4096;
    private const int Capacity = 8192;

    private static readonly ulong[] Interesting =
    [
        0, 1, 7, 8, 255, 256, 257, 511, 512, 4095, 4096, 4097, 8192, 12288, 65536,
        (1UL << 32) - 4096, 1UL << 32, (1UL << 32) + 4096, 1UL << 63, ulong.MaxValue - 4095, ulong.MaxValue,
    ];

    // Offsets and widths of the header's fields, and of an entry's.
    private static readonly (int Offset, int Width)[] HeaderFields =
        [(0, 8), (8, 4), (12, 4), (16, 8), (24, 8), (32, 4), (36, 4), (40, 8), (64, 8), (72, 8), (80, 8), (88, 4), (92, 4), (96, 8), (104, 4), (112, 8)];

    private static readonly (int Offset, int Width)[] EntryFields = [(0, 8), (8, 8), (16, 8), (24, 4), (28, 4), (32, 4)];

    /// <summary>A valid compact region: map at 4096, a 15-entry table, 8192 slots, two modules.</summary>
    private static byte[] CompactRegion()
    {
        byte[] file = new byte[MapOffset + Capacity];
        Span<byte> h = file;
        RegionFormat.MagicBytes.CopyTo(h);
        BinaryPrimitives.WriteUInt32LittleEndian(h[8..], RegionFormat.Version);
        BinaryPrimitives.WriteUInt32LittleEndian(h[12..], RegionFormat.HeaderSize);
        BinaryPrimitives.WriteUInt64LittleEndian(h[16..], MapOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(h[24..], Capacity);
        BinaryPrimitives.WriteUInt32LittleEndian(h[36..], 15);
        BinaryPrimitives.WriteUInt64LittleEndian(h[40..], 256);
        RegionHeaderBytes.WriteKindAndLanes(h);
        BinaryPrimitives.WriteUInt64LittleEndian(h[64..], Capacity);
        BinaryPrimitives.WriteUInt32LittleEndian(h[92..], 2);
        for (int i = 0; i < 2; i++)
        {
            Span<byte> e = h[(256 + (256 * i))..];
            BinaryPrimitives.WriteUInt64LittleEndian(e, (ulong)(4096 * i));
            BinaryPrimitives.WriteUInt64LittleEndian(e[8..], 1000);
            BinaryPrimitives.WriteUInt32LittleEndian(e[24..], 1);
            BinaryPrimitives.WriteUInt32LittleEndian(e[28..], 2);
            BinaryPrimitives.WriteUInt32LittleEndian(e[32..], 8);
            "/lib/fuzz.so"u8.CopyTo(e[72..]);
        }

        file.AsSpan(MapOffset, 500).Fill(1);
        return file;
    }

    private static void Mutate(Random random, byte[] file, out int length)
    {
        length = file.Length;
        int mutations = random.Next(1, 4);
        for (int m = 0; m < mutations; m++)
        {
            switch (random.Next(5))
            {
                case 0: // a header field set to an interesting value
                {
                    var (offset, width) = HeaderFields[random.Next(HeaderFields.Length)];
                    Write(file.AsSpan(offset), width, Interesting[random.Next(Interesting.Length)]);
                    break;
                }

                case 1: // an entry field set to an interesting value
                {
                    var (offset, width) = EntryFields[random.Next(EntryFields.Length)];
                    Write(file.AsSpan(256 + (256 * random.Next(15)) + offset), width, Interesting[random.Next(Interesting.Length)]);
                    break;
                }

                case 2: // random bytes anywhere in the header and table
                    file[random.Next(MapOffset)] = (byte)random.Next(256);
                    break;

                case 3: // a bit flip in the first 96 bytes
                    file[random.Next(96)] ^= (byte)(1 << random.Next(8));
                    break;

                default: // the file cut short
                    length = random.Next(file.Length);
                    break;
            }
        }
    }

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

    [Fact]
    public void MutatedRegionFiles_AttachSafely_OrRaiseTheSpecificException()
    {
        var random = new Random(20261125);
        string name = NewName("fuzz");
        string path = RegionName.GetPath(name);
        byte[] valid = CompactRegion();
        int attached = 0, corrupt = 0, version = 0;

        for (int i = 0; i < Iterations; i++)
        {
            byte[] file = (byte[])valid.Clone();
            Mutate(random, file, out int length);
            File.Delete(path);
            using (var stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            {
                stream.Write(file, 0, length);
            }

            try
            {
                using CoverageRegion region = CoverageRegion.Attach(name);
                attached++;
                ReadEverything(region);

                // Another process rewrites the counters and the table under the mapping.
                byte[] garbage = new byte[random.Next(1, 600)];
                random.NextBytes(garbage);
                using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write))
                {
                    stream.Position = random.Next(64, MapOffset - garbage.Length);
                    stream.Write(garbage);
                }

                ReadEverything(region);
            }
            catch (RegionCorruptException e)
            {
                corrupt++;
                Assert.Contains(path, e.Message);
            }
            catch (RegionFormatException e)
            {
                version++;
                Assert.Equal(RegionFormat.Version, e.Expected);
            }
        }

        // The mutations reach every outcome, so the loop tests something.
        Assert.True(attached > 100 && corrupt > 100 && version > 10, $"attached {attached}, corrupt {corrupt}, version {version}");
    }

    [Fact]
    public void TheUnmutatedCompactRegion_Attaches_WithItsTwoModules()
    {
        string name = NewName("compact");
        File.WriteAllBytes(RegionName.GetPath(name), CompactRegion());
        File.SetUnixFileMode(RegionName.GetPath(name), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using CoverageRegion region = CoverageRegion.Attach(name);
        Assert.Equal(2, region.Modules.Count);
        Assert.Equal(500, region.CountCovered());
        Assert.Equal(500, region.CountCovered(region.Modules[0]));
        Assert.Equal("/lib/fuzz.so", region.Modules[1].Path);
    }

    /// <summary>Every reader a user calls, on whatever the file claims.</summary>
    private static void ReadEverything(CoverageRegion region)
    {
        long covered = region.CountCovered();
        Assert.InRange(covered, 0, region.AllocCursor);
        Assert.InRange(region.AllocCursor, 0, region.CapacityEdges);
        Assert.True(region.Map.Length == region.AllocCursor);
        long perModule = 0;
        foreach (RegionModule m in region.Modules)
        {
            Assert.True(m.Base + m.EdgeCount <= region.CapacityEdges);
            perModule += region.CountCovered(m);
            Assert.Equal(m.EdgeCount, region.GetModuleMap(m).Length);
        }

        Assert.InRange(perModule, 0, region.CapacityEdges);
        _ = region.EdgesDropped + region.EdgesRegistered + region.ModulesPrivate;
        using var snapshot = region.Snapshot();
        Assert.InRange(snapshot.Length, 0, region.CapacityEdges);
        try
        {
            region.ThrowIfTooSmall();
        }
        catch (RegionTooSmallException e)
        {
            Assert.InRange(e.NeededEdges, 0, RegionFormat.MaxCapacity);
        }

        CoverageMapFile exported = CoverageMapFile.FromRegion(region);
        Assert.InRange(exported.CountCovered(), 0, region.CapacityEdges);
    }
}
