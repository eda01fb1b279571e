using System.Text;

namespace Memcov.SharedMem;

/// <summary>
/// Region names and where their files live: <c>$MEMCOV_SHM_DIR/memcov-NAME</c>, or
/// <c>/dev/shm/memcov-NAME</c> when the variable is unset or empty.
/// </summary>
public static class RegionName
{
    /// <summary>The longest name, in characters.</summary>
    public const int MaxLength = 200;

    /// <summary>The prefix of every region file name; temp files never start with it.</summary>
    public const string FilePrefix = "memcov-";

    /// <summary>The environment variable that overrides the region directory.</summary>
    public const string DirectoryVariable = "MEMCOV_SHM_DIR";

    /// <summary>The directory used when <see cref="DirectoryVariable"/> is unset or empty.</summary>
    public const string DefaultDirectory = "/dev/shm";

    /// <summary>The longest file path in bytes (PATH_MAX less the NUL).</summary>
    public const int MaxPathBytes = 4095;

    /// <summary>Tells whether <paramref name="name"/> follows the naming rule (libmemcov's, the one rule).</summary>
    /// <param name="name">The region name.</param>
    /// <returns><see langword="true"/> if the name is valid.</returns>
    /// <exception cref="DllNotFoundException">No libmemcov.so could be loaded.</exception>
    public static bool IsValid(string? name) =>
        !string.IsNullOrEmpty(name) && Resolve(name, out _) != Interop.Memcov.MCOV_E_INVALID_NAME;

    /// <summary>Throws unless <paramref name="name"/> follows the naming rule.</summary>
    /// <param name="name">The region name.</param>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException">The name breaks the rule; the message states it.</exception>
    /// <exception cref="DllNotFoundException">No libmemcov.so could be loaded.</exception>
    public static void Validate(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!IsValid(name))
        {
            throw new ArgumentException(Explain(name), nameof(name));
        }
    }

    /// <summary>The directory that holds region files, read from the environment on each call.</summary>
    /// <returns><c>$MEMCOV_SHM_DIR</c> if set and not empty, else <c>/dev/shm</c>.</returns>
    public static string GetDirectory()
    {
        string? dir = Environment.GetEnvironmentVariable(DirectoryVariable);
        return string.IsNullOrEmpty(dir) ? DefaultDirectory : dir;
    }

    /// <summary>The path of region <paramref name="name"/>'s file.</summary>
    /// <param name="name">The region name.</param>
    /// <returns><c>DIR/memcov-NAME</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// The name breaks the rule, or the path needs more than 4095 bytes.
    /// </exception>
    /// <exception cref="DllNotFoundException">No libmemcov.so could be loaded.</exception>
    public static string GetPath(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0 || Resolve(name, out string path) != Interop.Memcov.MCOV_OK)
        {
            throw new ArgumentException(Explain(name), nameof(name));
        }

        return path;
    }

    // C sees a string up to its first NUL: a name with one is refused here, whole.
    private static unsafe int Resolve(string name, out string path)
    {
        path = string.Empty;
        if (name.Contains('\0', StringComparison.Ordinal))
        {
            return Interop.Memcov.MCOV_E_INVALID_NAME;
        }

        byte* buffer = stackalloc byte[MaxPathBytes + 1];
        int status = Interop.Memcov.RegionFilePath(GetDirectory(), name, buffer, MaxPathBytes + 1);
        if (status == Interop.Memcov.MCOV_OK)
        {
            path = new string((sbyte*)buffer, 0, new ReadOnlySpan<byte>(buffer, MaxPathBytes + 1).IndexOf((byte)0), Encoding.UTF8);
        }

        return status;
    }

    private static string Explain(string name)
    {
        string native = name.Contains('\0', StringComparison.Ordinal) ? string.Empty : NativeStatus.LastError;
        return native.Length != 0
            ? native
            : $"Invalid region name '{name}': a region name must match [A-Za-z0-9][A-Za-z0-9._-]{{0,199}}.";
    }
}
