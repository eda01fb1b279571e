using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text;
using Memcov.Redis;
using Memcov.SharedMem;

namespace Memcov.Cli.Campaign;

/// <summary>
/// The options that name a campaign on a Redis server (<c>--redis URL --campaign NAME</c>, the
/// password's sources, <c>--host</c>), shared by sync, run, watch and plot.
/// </summary>
internal sealed class CampaignOptions
{
    /// <summary>The environment variable a password may come from; removed from this process once read.</summary>
    public const string PasswordVariable = "MEMCOV_REDIS_PASSWORD";

    // A password file larger than this is not a password file.
    private const long MaxPasswordFileBytes = 4096;

    // How long connecting and each command may take.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public CampaignOptions(bool withHost)
    {
        Redis = new Option<string?>("--redis")
        {
            Description = "The Redis server of a campaign: redis[s]://[user@]host[:port][/db]. The password comes from $" + PasswordVariable +
                ", --redis-password-file, or the URL (where other users' 'ps' would see it).",
        };
        Campaign = new Option<string?>("--campaign") { Description = "The campaign's name on that server: [A-Za-z0-9][A-Za-z0-9._-]{0,99}." };
        PasswordFile = new Option<FileInfo?>("--redis-password-file") { Description = "A file whose first line is the Redis password." };
        Host = withHost
            ? new Option<string?>("--host") { Description = "This host's name in the campaign (default: the machine's name and the region's); one sync per name." }
            : null;
    }

    public Option<string?> Redis { get; }

    public Option<string?> Campaign { get; }

    public Option<FileInfo?> PasswordFile { get; }

    public Option<string?>? Host { get; }

    /// <summary>Adds the options to <paramref name="command"/>, with a check that --redis and --campaign come together.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(Redis);
        command.Options.Add(Campaign);
        command.Options.Add(PasswordFile);
        if (Host is not null)
        {
            command.Options.Add(Host);
        }

        command.Validators.Add(r =>
        {
            bool redis = r.GetResult(Redis) is not null, campaign = r.GetResult(Campaign) is not null;
            if (redis != campaign)
            {
                r.AddError("--redis and --campaign go together: the server and the campaign on it.");
            }
            else if (!redis && (r.GetResult(PasswordFile) is not null || (Host is not null && r.GetResult(Host) is not null)))
            {
                r.AddError("--redis-password-file and --host need --redis URL --campaign NAME.");
            }
            else if (HasArgument(r.GetResult(Campaign)) && !CampaignKeys.IsValidName(r.GetValue(Campaign)))
            {
                r.AddError($"Invalid campaign name '{r.GetValue(Campaign)}': it must match [A-Za-z0-9][A-Za-z0-9._-]{{0,99}}.");
            }
            else if (Host is not null && HasArgument(r.GetResult(Host)) && !CampaignKeys.IsValidName(r.GetValue(Host)))
            {
                r.AddError($"Invalid host name '{r.GetValue(Host)}': it must match [A-Za-z0-9][A-Za-z0-9._-]{{0,99}}.");
            }
        });
    }

    /// <summary>
    /// Whether the option was given with its value. Without one the parser reports the missing
    /// argument itself, and reading the value would throw.
    /// </summary>
    private static bool HasArgument(OptionResult? result) => result is not null && result.Tokens.Count > 0;

    /// <summary>Whether the command line names a campaign.</summary>
    public bool IsGiven(ParseResult parse) => parse.GetValue(Redis) is not null;

    /// <summary>
    /// The host name: --host, or the machine's name and the region's, made a valid name. The default
    /// differs between regions of one machine, so two syncs there never take each other's name.
    /// </summary>
    public string HostName(ParseResult parse, string region)
    {
        if (Host is not null && parse.GetValue(Host) is string given)
        {
            return given;
        }

        var name = new StringBuilder();
        foreach (char c in $"{Environment.MachineName}.{region}")
        {
            _ = name.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '-');
        }

        string text = name.ToString().TrimStart('.', '_', '-');
        return text.Length == 0 ? region : text[..Math.Min(text.Length, 100)];
    }

    /// <summary>
    /// Reads the URL and the password (URL, then the file, then the environment), removes the
    /// variable from this process so that no target inherits it, and connects.
    /// </summary>
    /// <exception cref="CampaignException">The server cannot be reached or used.</exception>
    /// <exception cref="ArgumentException">The URL is not a Redis URL.</exception>
    public async Task<CampaignConnection> ConnectAsync(ParseResult parse)
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable(PasswordVariable);
        Environment.SetEnvironmentVariable(PasswordVariable, null);
        RedisAddress address;
        try
        {
            address = RedisAddress.Parse(parse.GetValue(Redis)!);
        }
        catch (FormatException e)
        {
            throw new ArgumentException(e.Message, e);
        }

        if (address.Password is null)
        {
            string? password = parse.GetValue(PasswordFile) is FileInfo file ? ReadPasswordFile(file.FullName) : fromEnvironment;
            address = address with { Password = string.IsNullOrEmpty(password) ? null : password };
        }

        return await CampaignConnection.ConnectAsync(address, parse.GetValue(Campaign)!, Timeout).ConfigureAwait(false);
    }

    private static string ReadPasswordFile(string path)
    {
        using FileStream stream = RegularFile.OpenRead(path, MaxPasswordFileBytes, $"a password file is at most {MaxPasswordFileBytes} bytes.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string line = reader.ReadLine() ?? "";
        return line.TrimEnd('\r');
    }
}
