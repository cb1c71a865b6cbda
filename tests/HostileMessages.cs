using DeepImagine.PairMiner.Components.Edge;
using Wire = DeepImagine.Contracts.V1;

namespace DeepImagine.Tests;

/// <summary>A hostile case as the message that carries it over the bus.</summary>
public static class HostileMessages
{
    /// <summary>
    /// The record's wire message; a format the domain does not define (an attack on the envelope) is sent as that
    /// same undefined number, since the edge mapping refuses to produce it.
    /// </summary>
    public static Wire.TrialPublished ToMessage(this HostileCase hostile, Guid correlationId) =>
        Enum.IsDefined(hostile.Record.Format)
            ? hostile.Record.ToMessage(correlationId)
            : new Wire.TrialPublished(hostile.Record.SourceName, hostile.Record.RecordId, (Wire.RecordFormat)(int)hostile.Record.Format, hostile.Record.Text, correlationId);
}
