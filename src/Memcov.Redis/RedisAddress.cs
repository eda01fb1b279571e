using System.Globalization;

namespace Memcov.Redis;

/// <summary>
/// A server named by a <c>redis://</c> or <c>rediss://</c> (TLS) URL:
/// <c>redis[s]://[[user][:password]@]host[:port][/database]</c>, user and password percent-encoded.
/// </summary>
public sealed record RedisAddress
{
    /// <summary>The port a URL without one means.</summary>
    public const int DefaultPort = 6379;

    private RedisAddress(string host, int port, bool tls, string? user, string? password, int database)
    {
        Host = host;
        Port = port;
        Tls = tls;
        User = user;
        Password = password;
        Database = database;
    }

    /// <summary>The server's host name or address.</summary>
    public string Host { get; }

    /// <summary>The server's port.</summary>
    public int Port { get; }

    /// <summary>Whether the connection is TLS (<c>rediss://</c>).</summary>
    public bool Tls { get; }

    /// <summary>The ACL user, or null for the default user.</summary>
    public string? User { get; }

    /// <summary>The password the URL gives, or null.</summary>
    public string? Password { get; init; }

    /// <summary>The database number (the URL's path), 0 by default.</summary>
    public int Database { get; }

    /// <summary>Reads a URL.</summary>
    /// <param name="url">The URL.</param>
    /// <returns>The address.</returns>
    /// <exception cref="FormatException">The text is not a <c>redis://</c> or <c>rediss://</c> URL with a host.</exception>
    public static RedisAddress Parse(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        string shown = Redact(url);
        if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("redis" or "rediss"))
        {
            throw new FormatException($"'{shown}' is not a redis:// or rediss:// URL (redis[s]://[user[:password]@]host[:port][/database]).");
        }

        if (string.IsNullOrEmpty(uri.Host))
        {
            throw new FormatException($"The URL '{shown}' names no host.");
        }

        if (uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            throw new FormatException($"The URL '{shown}' has a query or fragment, which memcov does not read.");
        }

        int database = 0;
        string path = uri.AbsolutePath.Trim('/');
        if (path.Length > 0 && (!int.TryParse(path, NumberStyles.None, CultureInfo.InvariantCulture, out database) || database > 65535))
        {
            throw new FormatException($"The URL '{shown}' has path '/{path}': the path is the database number, 0 to 65535.");
        }

        string? user = null, password = null;
        if (uri.UserInfo.Length > 0)
        {
            int colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            user = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            password = colon < 0 ? null : Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            user = user.Length == 0 ? null : user;
        }

        return new RedisAddress(uri.IdnHost, uri.IsDefaultPort || uri.Port < 0 ? DefaultPort : uri.Port, uri.Scheme == "rediss", user, password, database);
    }

    /// <summary>The URL with any password replaced by <c>***</c>: what messages show.</summary>
    /// <param name="url">A URL, valid or not.</param>
    /// <returns>The text to show.</returns>
    public static string Redact(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        int scheme = url.IndexOf("://", StringComparison.Ordinal);
        int at = url.LastIndexOf('@');
        if (scheme < 0 || at < scheme)
        {
            return url;
        }

        int colon = url.IndexOf(':', scheme + 3);
        return colon < 0 || colon > at ? url : $"{url[..(colon + 1)]}***{url[at..]}";
    }

    /// <summary>The address without its password: <c>redis://user@host:port/db</c>.</summary>
    public override string ToString()
    {
        string host = Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host;
        string user = User is null ? "" : $"{Uri.EscapeDataString(User)}@";
        return $"{(Tls ? "rediss" : "redis")}://{user}{host}:{Port}/{Database}";
    }
}
