using static TorchSharp.torch;

namespace DeepImagine.Model.Tests;

public class Building_models
{
    [Fact]
    public void A_model_built_inside_a_dispose_scope_outlives_it()
    {
        Qwen3ForCausalLM model;
        using (NewDisposeScope())
        {
            model = Qwen3ForCausalLM.CreateRandom(TinyModels.Config(), seed: 1);
            model.AddLora(new LoraSettings());
        }

        using var logits = model.Logits(tensor(new long[,] { { 1, 2, 3 } }));

        Assert.Equal([1L, 3L, 300L], logits.shape);
        model.Dispose();
    }
}
