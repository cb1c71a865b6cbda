using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepImagine.Model;

/// <summary>
/// The safetensors format (8-byte little-endian header length, a JSON header of name → dtype, shape and data offsets,
/// then the raw little-endian data), single file or sharded with <c>model.safetensors.index.json</c>. F32, BF16, F16.
/// </summary>
public static class Safetensors
{
    public const string SingleFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";

    private static readonly Dictionary<string, ScalarType> DTypes = new()
    {
        ["F32"] = ScalarType.Float32, ["BF16"] = ScalarType.BFloat16, ["F16"] = ScalarType.Float16,
        ["F64"] = ScalarType.Float64, ["I64"] = ScalarType.Int64, ["I32"] = ScalarType.Int32,
    };

    public static string DTypeName(ScalarType type) => DTypes.FirstOrDefault(d => d.Value == type).Key
        ?? throw new NotSupportedException($"tensor type {type} cannot be written to safetensors here");

    /// <summary>Writes the tensors (converted to <paramref name="dtype"/> when given) to one file.</summary>
    public static void Save(string path, IEnumerable<(string Name, Tensor Tensor)> tensors, ScalarType? dtype = null, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var scope = NewDisposeScope();
        var prepared = tensors.Select(t => (t.Name, Tensor: (dtype is { } d && t.Tensor.is_floating_point() ? t.Tensor.to(d) : t.Tensor).detach().cpu().contiguous())).ToList();
        var header = new JsonObject();
        var meta = new JsonObject { ["format"] = "pt" };
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>()) meta[key] = value;
        header["__metadata__"] = meta;
        long offset = 0;
        foreach (var (name, tensor) in prepared)
        {
            var size = tensor.NumberOfElements * tensor.ElementSize;
            header[name] = new JsonObject
            {
                ["dtype"] = DTypeName(tensor.dtype),
                ["shape"] = new JsonArray(tensor.shape.Select(s => (JsonNode)s).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + size),
            };
            offset += size;
        }
        var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        var padded = (headerBytes.Length + 7) / 8 * 8; // data starts 8-byte aligned; padding is spaces
        using var stream = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
        stream.Write(length);
        stream.Write(headerBytes);
        for (var i = headerBytes.Length; i < padded; i++) stream.WriteByte((byte)' ');
        foreach (var (_, tensor) in prepared) stream.Write(tensor.bytes);
    }

    /// <summary>Reads every tensor of one file (on the CPU, in its stored type).</summary>
    public static Dictionary<string, Tensor> Load(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > 100_000_000 || (long)headerLength > stream.Length - 8)
            throw new InvalidDataException($"'{path}' is not a safetensors file (header length {headerLength})");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        var header = JsonNode.Parse(headerBytes)!.AsObject();
        var dataStart = 8 + (long)headerLength;
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__" || node is null) continue;
            var dtypeName = node["dtype"]!.GetValue<string>();
            if (!DTypes.TryGetValue(dtypeName, out var dtype)) throw new InvalidDataException($"'{path}': tensor '{name}' has unsupported dtype {dtypeName}");
            var shape = node["shape"]!.AsArray().Select(s => s!.GetValue<long>()).ToArray();
            var offsets = node["data_offsets"]!.AsArray().Select(s => s!.GetValue<long>()).ToArray();
            var data = new byte[offsets[1] - offsets[0]];
            stream.Position = dataStart + offsets[0];
            stream.ReadExactly(data);
            var tensor = empty(shape, dtype: dtype);
            if (tensor.NumberOfElements * tensor.ElementSize != data.Length)
                throw new InvalidDataException($"'{path}': tensor '{name}' holds {data.Length} bytes; shape and dtype need {tensor.NumberOfElements * tensor.ElementSize}");
            tensor.bytes = data;
            result[name] = tensor.DetachFromDisposeScope();
        }
        return result;
    }

    /// <summary>Writes a checkpoint's weights: one file, or shards of at most <paramref name="maxShardBytes"/> plus the index.</summary>
    public static void SaveModel(string directory, IReadOnlyList<(string Name, Tensor Tensor)> tensors, ScalarType dtype, long? maxShardBytes = null)
    {
        Directory.CreateDirectory(directory);
        if (maxShardBytes is null)
        {
            Save(Path.Combine(directory, SingleFile), tensors, dtype);
            return;
        }
        var bytesPer = dtype is ScalarType.Float32 ? 4 : 2;
        var shards = new List<List<(string, Tensor)>> { new() };
        long current = 0, total = 0;
        foreach (var t in tensors)
        {
            var size = t.Tensor.NumberOfElements * bytesPer;
            if (current > 0 && current + size > maxShardBytes) { shards.Add([]); current = 0; }
            shards[^1].Add(t);
            current += size;
            total += size;
        }
        var weightMap = new JsonObject();
        for (var i = 0; i < shards.Count; i++)
        {
            var file = $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
            Save(Path.Combine(directory, file), shards[i], dtype);
            foreach (var (name, _) in shards[i]) weightMap[name] = file;
        }
        var index = new JsonObject { ["metadata"] = new JsonObject { ["total_size"] = total }, ["weight_map"] = weightMap };
        File.WriteAllText(Path.Combine(directory, IndexFile), index.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Reads a checkpoint's weights from <c>model.safetensors</c> or from the shards its index names.</summary>
    public static Dictionary<string, Tensor> LoadModel(string directory)
    {
        var index = Path.Combine(directory, IndexFile);
        if (File.Exists(index))
        {
            var map = JsonNode.Parse(File.ReadAllText(index))!["weight_map"]!.AsObject();
            var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var file in map.Select(kv => kv.Value!.GetValue<string>()).Distinct())
            {
                foreach (var (name, tensor) in Load(Path.Combine(directory, file))) result[name] = tensor;
            }
            return result;
        }
        var single = Path.Combine(directory, SingleFile);
        if (!File.Exists(single)) throw new FileNotFoundException($"no {SingleFile} or {IndexFile} in '{directory}'", single);
        return Load(single);
    }
}
