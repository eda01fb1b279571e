namespace Memcov.SharedMem;

/// <summary>Finds the ELF file of a recorded module: at its path if that is the same build, else by build-id.</summary>
internal static class ModuleBinary
{
    private const string SystemDebugDirectory = "/usr/lib/debug";

    /// <summary>The file and what it holds, or <see langword="null"/> and why none was found.</summary>
    public static (string? Path, ElfFile? Elf, string? Problem) Find(MapModule module, ReportOptions options)
    {
        ModuleIdentity id = module.Identity;
        string? problem = null;
        if (File.Exists(module.Path))
        {
            (ElfFile? elf, problem) = Check(module.Path, id);
            if (elf is not null)
            {
                return (module.Path, elf, null);
            }
        }
        else
        {
            problem = $"its binary is not at {module.Path}";
        }

        if (id.Kind == ModuleIdKind.BuildId && id.Id.Length > 2)
        {
            foreach (string dir in options.DebugDirectories.Append(SystemDebugDirectory))
            {
                string candidate = Path.Combine(dir, ".build-id", id.Id[..2], id.Id[2..] + ".debug");
                if (File.Exists(candidate) && Check(candidate, id) is ({ } elf, _))
                {
                    return (candidate, elf, null);
                }
            }

            problem += $", nor under a --debug-dir as .build-id/{id.Id[..2]}/{id.Id[2..]}.debug";
        }

        return (null, null, problem);
    }

    private static (ElfFile? Elf, string? Problem) Check(string path, ModuleIdentity id)
    {
        ElfFile elf;
        try
        {
            elf = ElfFile.Read(path);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return (null, $"{path} cannot be read as its binary ({e.Message})");
        }

        // A build-id of more than 32 bytes is recorded truncated.
        if (id.Kind == ModuleIdKind.BuildId && (elf.BuildId is null || !elf.BuildId.StartsWith(id.Id, StringComparison.Ordinal)))
        {
            return (null, $"{path} is another build (build-id {elf.BuildId ?? "none"}, recorded {id.Id})");
        }

        if (id.Kind == ModuleIdKind.PathHash && new FileInfo(path).Length != id.FileSize)
        {
            return (null, $"{path} is another build ({new FileInfo(path).Length} bytes, recorded {id.FileSize})");
        }

        if (!elf.HasLineTables)
        {
            return (null, $"{path} has no line tables: compile it with -gline-tables-only (or -g)");
        }

        return (elf, null);
    }
}
