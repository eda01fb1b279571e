using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Memcov.SharedMem;

/// <summary>
/// Finds the process's one libmemcov.so for <see cref="Interop.Memcov"/>. An instrumented module
/// binds to the copy its DT_NEEDED entry found; a second copy would keep its own, empty state, so
/// a copy loaded already always wins. Otherwise, in order: <c>$MEMCOV_LIBRARY</c>, the copy next
/// to the application or under its <c>runtimes/linux-ARCH/native</c> (where the NuGet package puts
/// it), then the runtime's default search. The Python bindings look the same way.
/// </summary>
internal static class MemcovLibrary
{
    /// <summary>
    /// The runtime's soname: the ABI this library speaks (native/abi/libmemcov.map). A copy with
    /// another soname is another ABI and is never bound to; a test checks this against the build.
    /// </summary>
    internal const string FileName = "libmemcov.so.2";

    /// <summary>The link-time name, a symlink to <see cref="FileName"/> where the library is installed.</summary>
    private const string LinkName = "libmemcov.so";

    private static readonly Lock s_lock = new();
    private static nint s_handle;
    private static bool s_useLibdl;
    private static int s_faultAhead; // 0: not asked yet, 1: exported, -1: not

    /// <summary>The dlopen handle of the runtime, loaded on first use.</summary>
    /// <exception cref="DllNotFoundException">No libmemcov.so was found, or $MEMCOV_LIBRARY does not load.</exception>
    internal static nint Handle
    {
        get
        {
            lock (s_lock)
            {
                if (s_handle == 0)
                {
                    s_handle = Load();
                }

                return s_handle;
            }
        }
    }

    /// <summary>
    /// Whether the runtime exports <c>mcov_region_file_fault_ahead</c> (node MEMCOV_2.4): a copy loaded
    /// already may be an older build of the same soname, whose last version node is an earlier one.
    /// </summary>
    internal static bool HasFaultAhead
    {
        get
        {
            if (s_faultAhead == 0)
            {
                s_faultAhead = NativeLibrary.TryGetExport(Handle, "mcov_region_file_fault_ahead", out _) ? 1 : -1;
            }

            return s_faultAhead > 0;
        }
    }

    /// <summary>The file the runtime was mapped from, or null if /proc/self/maps does not say.</summary>
    internal static string? LoadedPath => MappedFileOf(NativeLibrary.GetExport(Handle, "mcov_get_total64"));

    /// <summary>Routes this assembly's imports of <see cref="Interop.Memcov.LibraryName"/> to <see cref="Handle"/>.</summary>
    internal static void RegisterResolver() =>
        NativeLibrary.SetDllImportResolver(typeof(MemcovLibrary).Assembly, Resolve);

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == Interop.Memcov.LibraryName ? Handle : 0;

    private static nint Load()
    {
        nint loaded = FindLoadedCopy();
        string? wanted = Environment.GetEnvironmentVariable(MemcovNative.LibraryVariable);
        if (!string.IsNullOrEmpty(wanted))
        {
            if (loaded != 0)
            {
                WarnIfOtherFile(loaded, wanted);
                return loaded;
            }

            nint handle = DlOpen(wanted, Interop.Libc.RTLD_NOW | Interop.Libc.RTLD_GLOBAL);
            return handle != 0
                ? handle
                : throw new DllNotFoundException($"Cannot load {MemcovNative.LibraryVariable}={wanted}: {DlError()}.");
        }

        if (loaded != 0)
        {
            return loaded;
        }

        string arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        string[] candidates =
        [
            Path.Combine(AppContext.BaseDirectory, FileName),
            Path.Combine(AppContext.BaseDirectory, "runtimes", $"linux-{arch}", "native", FileName),
        ];
        var failures = new List<string>();
        foreach (string path in candidates)
        {
            if (!File.Exists(path))
            {
                failures.Add($"{path} (missing)");
                continue;
            }

            nint handle = DlOpen(path, Interop.Libc.RTLD_NOW | Interop.Libc.RTLD_GLOBAL);
            if (handle != 0)
            {
                return handle;
            }

            failures.Add($"{path} ({DlError()})");
        }

        if (NativeLibrary.TryLoad(FileName, typeof(MemcovLibrary).Assembly, null, out nint found))
        {
            // The default search loads locally; make the symbols global as the other paths do.
            nint global = FindLoadedCopy();
            return global != 0 ? global : found;
        }

        failures.Add($"the default library search for {FileName}");
        throw new DllNotFoundException(
            $"{FileName} not found: set {MemcovNative.LibraryVariable} to its path, or load an instrumented " +
            $"module first. Looked at: {string.Join("; ", failures)}.");
    }

    /// <summary>A copy loaded already: by its soname, else a libmemcov.so* file in /proc/self/maps.</summary>
    private static nint FindLoadedCopy()
    {
        const int Flags = Interop.Libc.RTLD_NOW | Interop.Libc.RTLD_NOLOAD | Interop.Libc.RTLD_GLOBAL;
        nint handle = DlOpen(FileName, Flags);
        if (handle != 0)
        {
            return handle;
        }

        foreach (string path in MappedFiles().Where(IsRuntimeFileName).Distinct().Order(StringComparer.Ordinal))
        {
            handle = DlOpen(path, Flags);
            if (handle != 0)
            {
                return handle;
            }
        }

        return 0;
    }

    // The soname, or the link-time name (a copy renamed by hand); never another soname.
    private static bool IsRuntimeFileName(string path)
    {
        string name = Path.GetFileName(path);
        return name is FileName or LinkName;
    }

    private static void WarnIfOtherFile(nint loaded, string wanted)
    {
        string? path = MappedFileOf(NativeLibrary.GetExport(loaded, "mcov_get_total64"));
        if (path is null || SameFile(path, wanted) || Environment.GetEnvironmentVariable("MEMCOV_QUIET")?.StartsWith('1') == true)
        {
            return;
        }

        // The runtime's own convention for problems: one "memcov:" line on stderr.
        Console.Error.WriteLine(
            $"memcov: {MemcovNative.LibraryVariable} is {wanted}, but {path} is loaded in this process already " +
            "(an instrumented module was loaded first): using the loaded copy, since one process must hold one runtime");
    }

    // Follows symlinks (flags 0): a link to the loaded file names the same runtime.
    private static bool SameFile(string a, string b)
    {
        const int Flags = 0;
        return Interop.Libc.Statx(Interop.Libc.AT_FDCWD, a, Flags, Interop.Libc.STATX_BASIC_STATS, out Interop.Libc.StatxBuffer x) == 0
            && Interop.Libc.Statx(Interop.Libc.AT_FDCWD, b, Flags, Interop.Libc.STATX_BASIC_STATS, out Interop.Libc.StatxBuffer y) == 0
            && x.Ino == y.Ino && x.DevMajor == y.DevMajor && x.DevMinor == y.DevMinor;
    }

    /// <summary>The file /proc/self/maps shows at <paramref name="address"/>, or null.</summary>
    private static string? MappedFileOf(nint address)
    {
        foreach ((ulong low, ulong high, string path) in Mappings())
        {
            if ((ulong)address >= low && (ulong)address < high)
            {
                return path;
            }
        }

        return null;
    }

    private static IEnumerable<string> MappedFiles() => Mappings().Select(m => m.Path);

    // Lines are "low-high perms offset dev inode path"; only mappings of files are returned.
    private static IEnumerable<(ulong Low, ulong High, string Path)> Mappings()
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines("/proc/self/maps");
        }
        catch (IOException)
        {
            yield break;
        }
        catch (UnauthorizedAccessException)
        {
            yield break;
        }

        foreach (string line in lines)
        {
            string[] fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 6 || !fields[5].TrimStart().StartsWith('/'))
            {
                continue;
            }

            string[] range = fields[0].Split('-');
            if (range.Length == 2
                && ulong.TryParse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong low)
                && ulong.TryParse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong high))
            {
                yield return (low, high, fields[5].Trim());
            }
        }
    }

    private static nint DlOpen(string path, int flags)
    {
        if (!s_useLibdl)
        {
            try
            {
                return Interop.Libc.DlOpen(path, flags);
            }
            catch (EntryPointNotFoundException)
            {
                s_useLibdl = true;
            }
        }

        return Interop.Libdl.DlOpen(path, flags);
    }

    private static string DlError() =>
        Marshal.PtrToStringUTF8(s_useLibdl ? Interop.Libdl.DlError() : Interop.Libc.DlError()) ?? "no error reported";
}
