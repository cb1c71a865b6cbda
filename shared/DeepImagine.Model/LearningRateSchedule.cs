namespace DeepImagine.Model;

/// <summary>Linear warm-up to the peak learning rate, then cosine decay to <c>peak · MinRatio</c> at <see cref="TotalSteps"/>.</summary>
public sealed record WarmupCosineSchedule(double PeakLearningRate, int WarmupSteps, int TotalSteps, double MinRatio)
{
    public double At(long step)
    {
        if (step < WarmupSteps) return PeakLearningRate * (step + 1) / WarmupSteps;
        var span = Math.Max(1, TotalSteps - WarmupSteps);
        var progress = Math.Min(1.0, (double)(step - WarmupSteps) / span);
        var min = PeakLearningRate * MinRatio;
        return min + (PeakLearningRate - min) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}
