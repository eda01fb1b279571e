using System.Globalization;
using StackExchange.Redis;

namespace Memcov.Redis;

/// <summary>
/// A connection to one campaign on a Redis server (or one that speaks its protocol: Valkey, Garnet).
/// Once connected, a lost connection is re-established in the background; commands fail with
/// <see cref="RedisConnectionException"/> or <see cref="RedisTimeoutException"/> meanwhile.
/// </summary>
public sealed class CampaignConnection : IAsyncDisposable, IDisposable
{
    private readonly ConnectionMultiplexer _multiplexer;

    private CampaignConnection(ConnectionMultiplexer multiplexer, RedisAddress address, string campaign)
    {
        _multiplexer = multiplexer;
        Address = address;
        Campaign = campaign;
        Database = multiplexer.GetDatabase(address.Database);
    }

    /// <summary>The server.</summary>
    public RedisAddress Address { get; }

    /// <summary>The campaign's name.</summary>
    public string Campaign { get; }

    /// <summary>The database the campaign's keys are in.</summary>
    internal IDatabase Database { get; }

    /// <summary>
    /// Connects, checks that the server answers as Redis and that the campaign's keys are of this
    /// layout (<see cref="CampaignKeys.LayoutVersion"/>), and marks a new campaign with it.
    /// </summary>
    /// <param name="address">The server; its <see cref="RedisAddress.Password"/> is the one sent.</param>
    /// <param name="campaign">The campaign: <c>[A-Za-z0-9][A-Za-z0-9._-]{0,99}</c>.</param>
    /// <param name="timeout">How long connecting and each command may take.</param>
    /// <returns>The connection.</returns>
    /// <exception cref="ArgumentException">The campaign name is not valid.</exception>
    /// <exception cref="CampaignException">The server cannot be reached or used, in one line.</exception>
    public static async Task<CampaignConnection> ConnectAsync(RedisAddress address, string campaign, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (!CampaignKeys.IsValidName(campaign))
        {
            throw new ArgumentException($"Invalid campaign name '{campaign}': it must match [A-Za-z0-9][A-Za-z0-9._-]{{0,99}}.", nameof(campaign));
        }

        int ms = (int)Math.Clamp(timeout.TotalMilliseconds, 100, int.MaxValue);
        var options = new ConfigurationOptions
        {
            EndPoints = { { address.Host, address.Port } },
            User = address.User,
            Password = address.Password,
            Ssl = address.Tls,
            SslHost = address.Tls ? address.Host : null,
            DefaultDatabase = address.Database,
            ClientName = "memcov",
            ConnectTimeout = ms,
            SyncTimeout = ms,
            AsyncTimeout = ms,
            ConnectRetry = 1,
            // A server that is down is an error at start; later losses are retried in the background.
            AbortOnConnectFail = true,
            // Commands a sync sends: no CONFIG, CLUSTER or INFO, which managed servers often refuse.
            CommandMap = CommandMap.Create(new HashSet<string> { "CONFIG", "CLUSTER", "INFO" }, available: false),
        };
        ConnectionMultiplexer multiplexer;
        try
        {
            multiplexer = await ConnectionMultiplexer.ConnectAsync(options, TextWriter.Null).ConfigureAwait(false);
        }
        catch (RedisConnectionException e)
        {
            throw new CampaignException(e.FailureType is ConnectionFailureType.AuthenticationFailure || Contains(e, "AUTH")
                ? Describe(address, e)
                : await DescribeUnreachableAsync(address, ms).ConfigureAwait(false), e);
        }

        var connection = new CampaignConnection(multiplexer, address, campaign);
        try
        {
            _ = await connection.CallAsync(async () =>
            {
                await connection.CheckDatabaseAsync().ConfigureAwait(false);
                await connection.CheckLayoutAsync().ConfigureAwait(false);
                return true;
            }).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The exception a failed command becomes: one line, retryable when the connection was lost or slow.</summary>
    /// <param name="e">The client's exception.</param>
    /// <returns>The exception to throw.</returns>
    internal CampaignException Failure(Exception e) =>
        new(Describe(e), e, retryable: e is RedisConnectionException or RedisTimeoutException);

    /// <summary>
    /// Whether a command of a batch or transaction succeeded; a refusal (another program's value of
    /// another type at the key) is a line in <paramref name="problems"/>, or passed over when it is null.
    /// </summary>
    internal async Task<bool> ConfirmedAsync(Task command, string what, List<string>? problems)
    {
        try
        {
            await command.ConfigureAwait(false);
            return true;
        }
        catch (RedisServerException e)
        {
            problems?.Add($"{what}: {Failure(e).Message}; sent again next sync");
            return false;
        }
    }

    /// <summary>Runs commands, turning the client's exceptions into <see cref="CampaignException"/>.</summary>
    internal async Task<T> CallAsync<T>(Func<Task<T>> commands)
    {
        try
        {
            return await commands().ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or RedisTimeoutException)
        {
            throw Failure(e);
        }
        catch (Exception e) when (e is InvalidCastException or FormatException or OverflowException)
        {
            // A value of another program's at one of the campaign's keys.
            throw new CampaignException($"the campaign '{Campaign}' at {Address} holds a value memcov cannot read: {FirstLine(e.Message)}", e);
        }
    }

    private string Describe(Exception e) => e switch
    {
        RedisConnectionException c => Describe(Address, c),
        RedisTimeoutException => $"the Redis server at {Address} did not answer in time",
        RedisServerException s => $"the Redis server at {Address} refused a command: {FirstLine(s.Message)}",
        _ => FirstLine(e.Message),
    };

    /// <inheritdoc />
    public void Dispose() => _multiplexer.Dispose();

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _multiplexer.DisposeAsync();

    /// <summary>
    /// A database the server does not have is refused: the client's SELECT fails unseen, and the
    /// campaign would land in database 0 beside whatever is there. A server without CLIENT INFO is
    /// not asked.
    /// </summary>
    private async Task CheckDatabaseAsync()
    {
        if (Address.Database == 0)
        {
            return;
        }

        string info;
        try
        {
            info = (await Database.ExecuteAsync("CLIENT", "INFO").ConfigureAwait(false)).ToString();
        }
        catch (RedisServerException)
        {
            return;
        }

        string want = $" db={Address.Database.ToString(CultureInfo.InvariantCulture)} ";
        if (info.Contains(" db=", StringComparison.Ordinal) && !$" {info.Trim()} ".Contains(want, StringComparison.Ordinal))
        {
            throw new CampaignException($"the Redis server at {Address} has no database {Address.Database}");
        }
    }

    private async Task CheckLayoutAsync()
    {
        string key = CampaignKeys.Version(Campaign);
        string mine = CampaignKeys.LayoutVersion.ToString(CultureInfo.InvariantCulture);
        _ = await Database.StringSetAsync(key, mine, when: When.NotExists).ConfigureAwait(false);
        RedisValue found = await Database.StringGetAsync(key).ConfigureAwait(false);
        if (found != mine)
        {
            throw new CampaignException(
                $"The campaign '{Campaign}' at {Address} has key layout version {(found.IsNull ? "(none)" : found.ToString())}; this memcov reads version {mine}.");
        }
    }

    private static string Describe(RedisAddress address, RedisConnectionException e) => e.FailureType switch
    {
        ConnectionFailureType.AuthenticationFailure or ConnectionFailureType.None when address.Password is null || Contains(e, "NOAUTH") =>
            $"the Redis server at {address} needs a password: set MEMCOV_REDIS_PASSWORD or give --redis-password-file",
        ConnectionFailureType.AuthenticationFailure => $"the Redis server at {address} refused the password{(address.User is null ? "" : $" of user '{address.User}'")}",
        _ when Contains(e, "AUTH") => $"the Redis server at {address} refused the password{(address.User is null ? "" : $" of user '{address.User}'")}",
        _ => $"lost the Redis server at {address}: {FirstLine(Innermost(e).Message)}",
    };

    /// <summary>
    /// Why a connection failed, in words a user can act on: the client's own message names its
    /// options. A plain TCP connect tells a port nothing listens on from one that speaks something else.
    /// </summary>
    private static async Task<string> DescribeUnreachableAsync(RedisAddress address, int timeoutMs)
    {
        using var probe = new System.Net.Sockets.TcpClient();
        using var timeout = new CancellationTokenSource(Math.Min(timeoutMs, 2000));
        try
        {
            await probe.ConnectAsync(address.Host, address.Port, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or OperationCanceledException)
        {
            return $"cannot reach a Redis server at {address}: {(e is OperationCanceledException ? "no answer in time" : e.Message)}";
        }

        return address.Tls
            ? $"{address} accepts connections but no TLS session with a certificate this machine trusts was made (a plain port, or a certificate of an unknown CA: SSL_CERT_FILE names a CA file)"
            : $"{address} accepts connections but does not answer as a Redis server (a TLS port needs rediss://)";
    }

    private static bool Contains(Exception e, string text)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x.Message.Contains(text, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e;
    }

    private static string FirstLine(string text)
    {
        int newline = text.IndexOfAny(['\r', '\n']);
        return newline < 0 ? text : text[..newline];
    }
}
