using TorchSharp;

namespace DeepImagine.Model.Tests;

public class Loading_torch
{
    [Fact]
    public void Runs_a_tensor_operation_on_the_chosen_device()
    {
        using var a = torch.ones(2, 3, device: TorchDevice.Default);
        Assert.Equal(6f, a.sum().item<float>());
    }
}
