using System.Buffers.Binary;
using System.Text;

namespace Memcov.SharedMem;

/// <summary>A function symbol of an ELF file: its address in the file and its name.</summary>
internal readonly record struct ElfFunction(ulong Address, string Name);

/// <summary>
/// What a report needs of a module's ELF file (64-bit, little-endian): its build-id, whether it has
/// line tables, and its function symbols. Only section headers, notes and the symbol table are
/// read; anything out of bounds makes the file "not an ELF file this reads".
/// </summary>
internal sealed class ElfFile
{
    private const uint SectionSymtab = 2;
    private const uint SectionNote = 7;
    private const uint SectionDynsym = 11;
    private const uint NoteGnuBuildId = 3;
    private const int SymbolSize = 24;
    private const ulong MaxNoteBytes = 4096;

    private ElfFile(string? buildId, bool hasLineTables, IReadOnlyList<ElfFunction> functions)
    {
        BuildId = buildId;
        HasLineTables = hasLineTables;
        Functions = functions;
    }

    /// <summary>The GNU build-id in lowercase hex, or <see langword="null"/>.</summary>
    public string? BuildId { get; }

    /// <summary>Whether the file has a <c>.debug_line</c> section.</summary>
    public bool HasLineTables { get; }

    /// <summary>The defined function symbols of <c>.symtab</c> (else <c>.dynsym</c>), one per address.</summary>
    public IReadOnlyList<ElfFunction> Functions { get; }

    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">It is not a 64-bit little-endian ELF file, or a table lies outside it.</exception>
    /// <exception cref="IOException">It cannot be read.</exception>
    public static ElfFile Read(string path)
    {
        using FileStream file = RegularFile.OpenRead(path, long.MaxValue, "");
        long size = file.Length;
        byte[] header = ReadAt(file, 0, 64, size);
        if (!header.AsSpan(0, 4).SequenceEqual("\u007fELF"u8) || header[4] != 2 || header[5] != 1)
        {
            throw new InvalidDataException($"{path} is not a 64-bit little-endian ELF file.");
        }

        ulong shoff = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(40));
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(58));
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(60));
        int shstrndx = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(62));
        if (shentsize < 64 || shstrndx >= shnum)
        {
            throw new InvalidDataException($"{path} has no usable section headers.");
        }

        byte[] table = ReadAt(file, shoff, (ulong)shnum * (ulong)shentsize, size);
        var sections = new Section[shnum];
        for (int i = 0; i < shnum; i++)
        {
            ReadOnlySpan<byte> s = table.AsSpan(i * shentsize, 64);
            sections[i] = new Section(
                BinaryPrimitives.ReadUInt32LittleEndian(s),
                BinaryPrimitives.ReadUInt32LittleEndian(s[4..]),
                BinaryPrimitives.ReadUInt64LittleEndian(s[24..]),
                BinaryPrimitives.ReadUInt64LittleEndian(s[32..]),
                BinaryPrimitives.ReadUInt32LittleEndian(s[40..]));
        }

        byte[] names = ReadAt(file, sections[shstrndx].Offset, sections[shstrndx].Size, size);
        string? buildId = null;
        bool lineTables = false;
        foreach (Section s in sections)
        {
            string name = CString(names, s.Name);
            lineTables |= name is ".debug_line" or ".zdebug_line" && s.Size > 0;
            // The note linkers write; other note sections are not read (a file may hold thousands).
            if (s.Type == SectionNote && name == ".note.gnu.build-id" && buildId is null && s.Size <= MaxNoteBytes)
            {
                buildId = FindBuildId(ReadAt(file, s.Offset, s.Size, size));
            }
        }

        Section? symbols = sections.FirstOrDefault(s => s.Type == SectionSymtab);
        symbols ??= sections.FirstOrDefault(s => s.Type == SectionDynsym);
        var functions = new List<ElfFunction>();
        if (symbols is { } sym && sym.Link < shnum)
        {
            byte[] entries = ReadAt(file, sym.Offset, sym.Size, size);
            byte[] strings = ReadAt(file, sections[sym.Link].Offset, sections[sym.Link].Size, size);
            var seen = new HashSet<ulong>();
            for (int at = 0; at + SymbolSize <= entries.Length; at += SymbolSize)
            {
                ReadOnlySpan<byte> e = entries.AsSpan(at, SymbolSize);
                bool function = (e[4] & 0xf) == 2;
                ushort index = BinaryPrimitives.ReadUInt16LittleEndian(e[6..]);
                ulong value = BinaryPrimitives.ReadUInt64LittleEndian(e[8..]);
                ulong length = BinaryPrimitives.ReadUInt64LittleEndian(e[16..]);
                if (function && index != 0 && value != 0 && length != 0 && seen.Add(value))
                {
                    functions.Add(new ElfFunction(value, CString(strings, BinaryPrimitives.ReadUInt32LittleEndian(e))));
                }
            }
        }

        return new ElfFile(buildId, lineTables, functions);
    }

    private static string? FindBuildId(byte[] notes)
    {
        int at = 0;
        while (at + 12 <= notes.Length)
        {
            uint nameSize = BinaryPrimitives.ReadUInt32LittleEndian(notes.AsSpan(at));
            uint descSize = BinaryPrimitives.ReadUInt32LittleEndian(notes.AsSpan(at + 4));
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(notes.AsSpan(at + 8));
            long name = at + 12, desc = name + ((nameSize + 3L) & ~3L), next = desc + ((descSize + 3L) & ~3L);
            if (desc + descSize > notes.Length)
            {
                return null;
            }

            if (type == NoteGnuBuildId && nameSize == 4 && notes.AsSpan((int)name, 4).SequenceEqual("GNU\0"u8) && descSize > 0)
            {
                return Convert.ToHexStringLower(notes, (int)desc, (int)descSize);
            }

            at = (int)next;
        }

        return null;
    }

    private static byte[] ReadAt(FileStream file, ulong offset, ulong length, long size)
    {
        if (offset > (ulong)size || length > (ulong)size - offset || length > int.MaxValue)
        {
            throw new InvalidDataException($"{file.Name}: a table at {offset} of {length} bytes lies outside its {size} bytes.");
        }

        byte[] bytes = GC.AllocateUninitializedArray<byte>((int)length);
        file.Position = (long)offset;
        file.ReadExactly(bytes);
        return bytes;
    }

    private static string CString(byte[] table, uint at)
    {
        if (at >= table.Length)
        {
            return "";
        }

        int end = Array.IndexOf(table, (byte)0, (int)at);
        return Encoding.UTF8.GetString(table, (int)at, (end < 0 ? table.Length : end) - (int)at);
    }

    private readonly record struct Section(uint Name, uint Type, ulong Offset, ulong Size, uint Link);
}
