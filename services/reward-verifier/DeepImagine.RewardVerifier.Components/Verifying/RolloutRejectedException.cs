namespace DeepImagine.RewardVerifier.Verifying;

/// <summary>A RolloutsGenerated that can never be verified (no completions, an unknown prompt, …): not retried; it goes to the error queue with this reason.</summary>
public sealed class RolloutRejectedException(string message) : Exception(message);
