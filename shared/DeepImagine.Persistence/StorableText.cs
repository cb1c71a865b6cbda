namespace DeepImagine.Persistence;

/// <summary>Text as PostgreSQL can keep it: text and jsonb refuse NUL, which a random or early model may write.</summary>
public static class StorableText
{
    /// <summary>The text with every NUL kept as U+FFFD (the replacement character); anything else unchanged.</summary>
    public static string Of(string text) => text.Contains('\0') ? text.Replace('\0', '\uFFFD') : text;
}
