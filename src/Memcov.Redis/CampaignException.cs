namespace Memcov.Redis;

/// <summary>
/// A campaign could not be reached or used: the server is down, refused the password, does not speak
/// Redis's protocol, or holds a campaign of another key layout. The message is one line.
/// </summary>
public sealed class CampaignException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong, in one line.</param>
    /// <param name="inner">The client's exception, if any.</param>
    /// <param name="retryable">Whether trying again later can succeed: a lost connection or a timeout.</param>
    public CampaignException(string message, Exception? inner = null, bool retryable = false)
        : base(message, inner)
    {
        Retryable = retryable;
    }

    /// <summary>Whether trying again later can succeed: a lost connection or a timeout, not a refusal.</summary>
    public bool Retryable { get; }
}
