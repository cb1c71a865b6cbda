using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeepImagine.Trials;

/// <summary>The one JSON shape of a <see cref="Trial"/>: used for storage, the HTTP API and exports.</summary>
public static class TrialJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    public static string Serialize(Trial trial) => JsonSerializer.Serialize(trial, Options);

    public static Trial Deserialize(string json) =>
        JsonSerializer.Deserialize<Trial>(json, Options) ?? throw new JsonException("a stored trial document is null");

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            WriteIndented = false,
        };
        options.Converters.Add(new JsonStringEnumConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
