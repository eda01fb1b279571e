using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace Memcov.SharedMem;

/// <summary>
/// Regions on Windows: a named, pagefile-backed mapping <c>Local\memcov-NAME</c>, which lives while
/// any process holds it open. The header is validated with the same checks as on Linux.
/// </summary>
/// <remarks>
/// A named mapping has no link step, so the creator writes the header with the magic last and
/// readers treat a mapping without the magic yet as not found.
/// </remarks>
[SupportedOSPlatform("windows")]
internal static class RegionMapping
{
    private const string Namespace = @"Local\";

    internal static CoverageRegion Create(string name, ulong capacityEdges)
    {
        string mapName = MapName(name);
        long size = RegionFormat.MapOffset + (long)capacityEdges;
        MemoryMappedFile file;
        try
        {
            file = MemoryMappedFile.CreateNew(mapName, size, MemoryMappedFileAccess.ReadWrite);
        }
        catch (IOException) when (Exists(name))
        {
            throw new RegionExistsException(name, mapName);
        }

        RegionHeader header = RegionHeader.ForCreator(capacityEdges);
        RegionView view = RegionView.FromFile(file, size);
        Span<byte> bytes = view.GetWritableSpan(0, RegionFormat.HeaderSize);
        RegionHeader unpublished = header with { Magic = 0 };
        MemoryMarshal.Write(bytes, in unpublished);
        Thread.MemoryBarrier();
        RegionFormat.MagicBytes.CopyTo(bytes);
        return new CoverageRegion(name, mapName, view, header);
    }

    internal static CoverageRegion Attach(string name)
    {
        string mapName = MapName(name);
        MemoryMappedFile file;
        try
        {
            file = MemoryMappedFile.OpenExisting(mapName, MemoryMappedFileRights.ReadWrite);
        }
        catch (FileNotFoundException)
        {
            throw new RegionNotFoundException(name, mapName);
        }

        try
        {
            RegionHeader header;
            long size;
            Span<byte> raw = stackalloc byte[RegionFormat.HeaderSize];
            using (MemoryMappedViewAccessor whole = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read))
            {
                size = whole.Capacity;
                if (size < RegionFormat.HeaderSize)
                {
                    ThrowHelper.ThrowCorrupt(mapName, $"the mapping has {size} bytes, fewer than the {RegionFormat.HeaderSize}-byte header");
                }

                whole.Read(0, out header);
                MemoryMarshal.Write(raw, in header);
            }

            if (header.Magic == 0)
            {
                throw new RegionNotFoundException(name, mapName); // still being created
            }

            RegionValidator.Validate(mapName, raw, header, (ulong)size);
            return new CoverageRegion(name, mapName, RegionView.FromFile(file, (long)(header.MapOffset + header.CapacityEdges)), header);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    internal static bool Exists(string name)
    {
        try
        {
            using MemoryMappedFile file = MemoryMappedFile.OpenExisting(MapName(name), MemoryMappedFileRights.Read);
            return true;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
    }

    private static string MapName(string name) => Namespace + RegionName.FilePrefix + name;
}
