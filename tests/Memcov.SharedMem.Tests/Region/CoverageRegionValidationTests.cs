using System.Buffers.Binary;

namespace Memcov.SharedMem.Tests;

/// <summary>Attach refuses what docs/region-format.md's checks refuse, with the specific exception.</summary>
public sealed class CoverageRegionValidationTests : RegionTestBase
{
    private const int Capacity = 4096;

    /// <summary>A valid version 1 file: header as the creator writes it, zero table and map.</summary>
    private static byte[] ValidRegionFile()
    {
        byte[] file = new byte[RegionFormat.MapOffset + Capacity];
        Span<byte> h = file;
        RegionFormat.MagicBytes.CopyTo(h);
        BinaryPrimitives.WriteUInt32LittleEndian(h[8..], RegionFormat.Version);
        BinaryPrimitives.WriteUInt32LittleEndian(h[12..], RegionFormat.HeaderSize);
        BinaryPrimitives.WriteUInt64LittleEndian(h[16..], RegionFormat.MapOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(h[24..], Capacity);
        BinaryPrimitives.WriteUInt32LittleEndian(h[36..], RegionFormat.ModuleTableCapacity);
        BinaryPrimitives.WriteUInt64LittleEndian(h[40..], RegionFormat.ModuleTableOffset);
        return file;
    }

    private static void WriteRegionFile(string name, byte[] contents)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        using var stream = new FileStream(RegionName.GetPath(name), options);
        stream.Write(contents);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-starts-with-dash")]
    [InlineData(".hidden")]
    [InlineData("has/slash")]
    [InlineData("has space")]
    [InlineData("ünicode")]
    public void Attach_Throws_WhenTheNameBreaksTheRule(string name)
    {
        var e = Assert.Throws<ArgumentException>(() => CoverageRegion.Attach(name));
        Assert.Contains("[A-Za-z0-9][A-Za-z0-9._-]{0,199}", e.Message);
        Assert.Throws<ArgumentException>(() => CoverageRegion.Exists(name));
        Assert.Throws<ArgumentException>(() => CoverageRegion.Remove(name));
    }

    [Fact]
    public void Names_AreValid_UpTo200Characters()
    {
        Assert.True(RegionName.IsValid("a"));
        Assert.True(RegionName.IsValid("A0._-z"));
        Assert.True(RegionName.IsValid(new string('x', 200)));
        Assert.False(RegionName.IsValid(new string('x', 201)));
        Assert.Throws<ArgumentException>(() => RegionName.Validate(new string('x', 201)));
        Assert.Throws<ArgumentNullException>(() => RegionName.Validate(null!));
    }

    [Fact]
    public void Attach_ThrowsNotFound_WhenNoRegionExists()
    {
        string name = NewName("missing");
        var e = Assert.Throws<RegionNotFoundException>(() => CoverageRegion.Attach(name));
        Assert.Equal(name, e.Name);
        Assert.Equal(RegionName.GetPath(name), e.Path);
        Assert.False(CoverageRegion.Exists(name));
        Assert.False(CoverageRegion.Remove(name));
    }

    [Fact]
    public void Attach_ReadsAValidFile_AndRemoveDeletesIt()
    {
        string name = NewName("valid");
        WriteRegionFile(name, ValidRegionFile());

        using (CoverageRegion region = CoverageRegion.Attach(name))
        {
            Assert.Equal(Capacity, region.CapacityEdges);
            Assert.Equal(0, region.ModuleCount);
            Assert.Equal(0, region.CountCovered());
        }

        Assert.True(CoverageRegion.Remove(name));
        Assert.False(CoverageRegion.Exists(name));
    }

    [Fact]
    public void Attach_ThrowsCorrupt_WhenTheMagicDiffers()
    {
        string name = NewName("magic");
        byte[] file = ValidRegionFile();
        "NOTMEMCV"u8.CopyTo(file);
        WriteRegionFile(name, file);

        var e = Assert.Throws<RegionCorruptException>(() => CoverageRegion.Attach(name));
        Assert.Contains("magic", e.Message);
        Assert.Contains("MEMCOVRG", e.Message);
    }

    [Fact]
    public void Attach_ThrowsCorrupt_WhenTheFileIsShorterThanTheHeader()
    {
        string name = NewName("short");
        WriteRegionFile(name, ValidRegionFile()[..100]);
        Assert.Throws<RegionCorruptException>(() => CoverageRegion.Attach(name));
    }

    [Fact]
    public void Attach_ThrowsCorrupt_WhenTheFileIsTruncated()
    {
        string name = NewName("trunc");
        WriteRegionFile(name, ValidRegionFile()[..(RegionFormat.MapOffset + 100)]);
        var e = Assert.Throws<RegionCorruptException>(() => CoverageRegion.Attach(name));
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Attach_ThrowsFormat_WhenTheVersionDiffers()
    {
        string name = NewName("other-version");
        const int Other = RegionFormat.Version - 1;
        byte[] file = ValidRegionFile();
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(8), Other);
        // A bad header_size too: the version check comes first, as in the C runtime.
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(12), 512);
        WriteRegionFile(name, file);

        var e = Assert.Throws<RegionFormatException>(() => CoverageRegion.Attach(name));
        Assert.Equal(RegionFormat.Version, e.Expected);
        Assert.Equal(Other, e.Actual);
        Assert.Contains($"format version {Other}", e.Message);
        Assert.Contains($"reads version {RegionFormat.Version}", e.Message);
    }

    [Fact]
    public void Attach_Refuses_ASymlinkAtThePath()
    {
        string target = NewName("target");
        WriteRegionFile(target, ValidRegionFile());
        string link = NewName("link");
        File.CreateSymbolicLink(RegionName.GetPath(link), RegionName.GetPath(target));

        Assert.Throws<UnauthorizedAccessException>(() => CoverageRegion.Attach(link));
        Assert.False(CoverageRegion.Exists(link));
        using CoverageRegion region = CoverageRegion.Attach(target);
        Assert.Equal(Capacity, region.CapacityEdges);
    }
}
