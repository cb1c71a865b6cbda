using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepImagine.Model.Tests;

public class Streaming_weights
{
    private static long ProcessKb(string field)
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line.Split(':', 2)[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    /// <summary>A safetensors file with one float32 tensor of <paramref name="elements"/> values, sparse on disk (zeros)
    /// but for marker values at its first and last element.</summary>
    private static string SparseFile(long elements)
    {
        var path = Path.Combine(Path.GetTempPath(), "di-big-" + Guid.NewGuid().ToString("N") + ".safetensors");
        var header = Encoding.UTF8.GetBytes($"{{\"big\":{{\"dtype\":\"F32\",\"shape\":[{elements}],\"data_offsets\":[0,{elements * 4}]}}}}");
        var padded = (header.Length + 7) / 8 * 8;
        using var stream = File.Create(path);
        var length = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
        stream.Write(length);
        stream.Write(header);
        for (var i = header.Length; i < padded; i++) stream.WriteByte((byte)' ');
        var dataStart = stream.Position;
        stream.Write(BitConverter.GetBytes(1.5f));
        stream.SetLength(dataStart + elements * 4);
        stream.Position = dataStart + (elements - 1) * 4;
        stream.Write(BitConverter.GetBytes(-2.25f));
        return path;
    }

    [Fact]
    public void Reads_a_tensor_over_two_gibibytes_straight_into_its_destination()
    {
        const long elements = (1L << 29) + 1024; // 2 GiB + 4 KiB of float32
        var path = SparseFile(elements);
        try
        {
            using var destination = empty(elements); // untouched pages are not resident yet
            File.WriteAllText("/proc/self/clear_refs", "5"); // reset the peak (VmHWM) to the current resident size
            var before = ProcessKb("VmRSS");

            Safetensors.ReadInto(path, entry => entry.Name == "big" ? destination : null);

            var peakGrowthMb = (ProcessKb("VmHWM") - before) / 1024.0;
            Assert.Equal(1.5f, destination[0].item<float>());
            Assert.Equal(-2.25f, destination[elements - 1].item<float>());
            Assert.Equal(0f, destination[elements / 2].item<float>());
            // One copy of the tensor (2,048 MB) plus one read chunk, not a second copy.
            Assert.True(peakGrowthMb < 2048 + 200, $"peak resident growth {peakGrowthMb:0} MB");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Streams_tensors_larger_than_a_chunk_in_both_directions()
    {
        using var scope = NewDisposeScope();
        var path = Path.Combine(Path.GetTempPath(), "di-chunks-" + Guid.NewGuid().ToString("N") + ".safetensors");
        var saved = Safetensors.ChunkBytes;
        Safetensors.ChunkBytes = 1000; // a few hundred values per chunk, not a multiple of any row
        try
        {
            var a = randn(37, 29);
            var b = randn(5, 3, 7).to(ScalarType.BFloat16);
            Safetensors.Save(path, [("a", a), ("b", b)]);
            var loaded = Safetensors.Load(path);

            Assert.Equal(0f, (loaded["a"] - a).abs().max().item<float>());
            Assert.Equal(ScalarType.BFloat16, loaded["b"].dtype);
            Assert.Equal(0f, (loaded["b"].to(ScalarType.Float32) - b.to(ScalarType.Float32)).abs().max().item<float>());
        }
        finally
        {
            Safetensors.ChunkBytes = saved;
            File.Delete(path);
        }
    }

    [Fact]
    public void Loads_a_bfloat16_checkpoint_in_bfloat16_without_a_float32_copy()
    {
        using var scope = NewDisposeScope();
        var directory = Path.Combine(Path.GetTempPath(), "di-ckpt-" + Guid.NewGuid().ToString("N"));
        using var model = Qwen3ForCausalLM.CreateRandom(TinyModels.Config(tied: false), seed: 12);
        Checkpoint.Save(model, directory, new CheckpointMetadata(), ScalarType.BFloat16, maxShardBytes: 40_000);

        using var loaded = Checkpoint.Load(directory, null, Checkpoint.StoredDtype(directory));

        Assert.Equal(ScalarType.BFloat16, Checkpoint.StoredDtype(directory));
        Assert.All(loaded.parameters(), p => Assert.Equal(ScalarType.BFloat16, p.dtype));
        var original = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, parameter) in loaded.named_parameters())
            Assert.Equal(0f, (parameter.to(ScalarType.Float32) - original[name].to(ScalarType.BFloat16).to(ScalarType.Float32)).abs().max().item<float>());
        model.eval();
        loaded.eval();
        using (no_grad())
        {
            var ids = tensor(new long[,] { { 1, 5, 9, 42, 7, 3 } });
            var difference = (loaded.Logits(ids).to(ScalarType.Float32) - model.Logits(ids)).abs().max().item<float>();
            Assert.True(difference < 0.1, $"bfloat16 vs float32 logits differ by {difference}");
        }
        Directory.Delete(directory, recursive: true);
    }
}
