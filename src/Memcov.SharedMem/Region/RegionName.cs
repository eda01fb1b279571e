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

    private const string Rule =
        "a region name must match [A-Za-z0-9][A-Za-z0-9._-]{0,199}: 1 to 200 characters, " +
        "starting with a letter or digit, then letters, digits, '.', '_' or '-' (no '/')";

    /// <summary>Tells whether <paramref name="name"/> follows the naming rule.</summary>
    /// <param name="name">The region name.</param>
    /// <returns><see langword="true"/> if the name is valid.</returns>
    public static bool IsValid(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength || !IsAlphanumeric(name[0]))
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!IsAlphanumeric(c) && c != '.' && c != '_' && c != '-')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Throws unless <paramref name="name"/> follows the naming rule.</summary>
    /// <param name="name">The region name.</param>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException">The name breaks the rule; the message states it.</exception>
    public static void Validate(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!IsValid(name))
        {
            throw new ArgumentException($"Invalid region name '{name}': {Rule}.", nameof(name));
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
    public static string GetPath(string name)
    {
        Validate(name);
        string path = GetDirectory().TrimEnd('/') + "/" + FilePrefix + name;
        if (Encoding.UTF8.GetByteCount(path) > MaxPathBytes)
        {
            throw new ArgumentException(
                $"The region path '{path}' needs more than {MaxPathBytes} bytes: " +
                $"set {DirectoryVariable} to a shorter directory or use a shorter name.",
                nameof(name));
        }

        return path;
    }

    private static bool IsAlphanumeric(char c) => char.IsAsciiLetterOrDigit(c);
}
