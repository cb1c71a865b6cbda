using TorchSharp;

namespace DeepImagine.Model;

/// <summary>The device models run on, chosen at run time: CUDA when present, else CPU (or DEEPIMAGINE_DEVICE=cpu|cuda).</summary>
public static class TorchDevice
{
    public static torch.Device Default { get; } = Choose();

    private static torch.Device Choose()
    {
        var requested = Environment.GetEnvironmentVariable("DEEPIMAGINE_DEVICE");
        if (string.Equals(requested, "cpu", StringComparison.OrdinalIgnoreCase)) return torch.CPU;
        if (string.Equals(requested, "cuda", StringComparison.OrdinalIgnoreCase) || torch.cuda.is_available()) return torch.cuda.is_available() ? torch.CUDA : throw new InvalidOperationException("DEEPIMAGINE_DEVICE=cuda but no CUDA device is available (is this the TorchBackend=cuda build?)");
        return torch.CPU;
    }
}
