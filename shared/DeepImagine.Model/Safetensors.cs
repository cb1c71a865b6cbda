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

    /// <summary>Bytes moved per copy when streaming tensors to and from files: large tensors never need one large array.</summary>
    internal static long ChunkBytes { get; set; } = 64L << 20;

    /// <summary>One tensor's entry in a safetensors header; offsets are relative to the start of the data.</summary>
    public sealed record Entry(string Name, ScalarType DType, long[] Shape, long Start, long End)
    {
        public long NumberOfElements => Shape.Aggregate(1L, (a, b) => a * b);
    }

    /// <summary>The header of one file: its tensors and where their data starts.</summary>
    public static (IReadOnlyList<Entry> Entries, long DataStart) ReadHeader(string path)
    {
        using var stream = File.OpenRead(path);
        return ReadHeader(stream, path);
    }

    private static (IReadOnlyList<Entry> Entries, long DataStart) ReadHeader(Stream stream, string path)
    {
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > 100_000_000 || (long)headerLength > stream.Length - 8)
            throw new InvalidDataException($"'{path}' is not a safetensors file (header length {headerLength})");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        var header = JsonNode.Parse(headerBytes)!.AsObject();
        var dataStart = 8 + (long)headerLength;
        var entries = new List<Entry>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__" || node is null) continue;
            var dtypeName = node["dtype"]!.GetValue<string>();
            if (!DTypes.TryGetValue(dtypeName, out var dtype)) throw new InvalidDataException($"'{path}': tensor '{name}' has unsupported dtype {dtypeName}");
            var shape = node["shape"]!.AsArray().Select(s => s!.GetValue<long>()).ToArray();
            var offsets = node["data_offsets"]!.AsArray().Select(s => s!.GetValue<long>()).ToArray();
            var entry = new Entry(name, dtype, shape, offsets[0], offsets[1]);
            var needed = entry.NumberOfElements * ElementSize(dtype);
            if (offsets[1] - offsets[0] != needed)
                throw new InvalidDataException($"'{path}': tensor '{name}' holds {offsets[1] - offsets[0]} bytes; shape and dtype need {needed}");
            if (dataStart + offsets[1] > stream.Length)
                throw new InvalidDataException($"'{path}': tensor '{name}' ends at byte {dataStart + offsets[1]}, past the end of the file ({stream.Length} bytes)");
            entries.Add(entry);
        }
        return (entries, dataStart);
    }

    /// <summary>Bytes per element of a tensor type.</summary>
    public static int ElementSize(ScalarType type) => type switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.BFloat16 or ScalarType.Float16 => 2,
        _ => throw new NotSupportedException($"tensor type {type} is not handled in safetensors files here"),
    };

    /// <summary>
    /// Copies every tensor of one file into the tensor <paramref name="target"/> names for it (any device and floating
    /// type: each chunk is converted on the way), in chunks of <see cref="ChunkBytes"/>; names it returns null for are
    /// skipped. Peak extra memory is one chunk, whatever the tensors' sizes.
    /// </summary>
    public static void ReadInto(string path, Func<Entry, Tensor?> target)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 20);
        var (entries, dataStart) = ReadHeader(stream, path);
        using var _ = no_grad();
        Tensor? staging = null;
        try
        {
            foreach (var entry in entries.OrderBy(e => e.Start))
            {
                if (target(entry) is not { } destination) continue;
                if (!destination.shape.SequenceEqual(entry.Shape))
                    throw new InvalidDataException($"'{path}': tensor '{entry.Name}' has shape [{string.Join(", ", entry.Shape)}], the destination expects [{string.Join(", ", destination.shape)}]");
                if (!destination.is_contiguous()) throw new ArgumentException($"the destination of '{entry.Name}' must be contiguous", nameof(target));
                var perChunk = Math.Max(1, ChunkBytes / ElementSize(entry.DType));
                // Same type in CPU memory: the file is read straight into the destination; otherwise through one staging chunk.
                var direct = destination.device_type == DeviceType.CPU && destination.dtype == entry.DType;
                using var flat = destination.view(-1);
                stream.Position = dataStart + entry.Start;
                for (long done = 0; done < entry.NumberOfElements; done += perChunk)
                {
                    var count = Math.Min(perChunk, entry.NumberOfElements - done);
                    using var slice = flat.narrow(0, done, count);
                    if (direct)
                    {
                        stream.ReadExactly(slice.bytes);
                        continue;
                    }
                    if (staging is null || staging.dtype != entry.DType || staging.NumberOfElements < count)
                    {
                        staging?.Dispose();
                        staging = empty(Math.Min(perChunk, entry.NumberOfElements), dtype: entry.DType).DetachFromDisposeScope();
                    }
                    using var part = staging.narrow(0, 0, count);
                    stream.ReadExactly(part.bytes);
                    slice.copy_(part);
                }
            }
        }
        finally
        {
            staging?.Dispose();
        }
    }

    /// <summary>Writes the tensors (converted to <paramref name="dtype"/> when given) to one file, in chunks (any size, any device).</summary>
    public static void Save(string path, IEnumerable<(string Name, Tensor Tensor)> tensors, ScalarType? dtype = null, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.Select(t => (t.Name, t.Tensor, Type: dtype is { } d && t.Tensor.is_floating_point() ? d : t.Tensor.dtype)).ToList();
        var header = new JsonObject();
        var meta = new JsonObject { ["format"] = "pt" };
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>()) meta[key] = value;
        header["__metadata__"] = meta;
        long offset = 0;
        foreach (var (name, tensor, type) in list)
        {
            var size = tensor.NumberOfElements * ElementSize(type);
            header[name] = new JsonObject
            {
                ["dtype"] = DTypeName(type),
                ["shape"] = new JsonArray(tensor.shape.Select(s => (JsonNode)s).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + size),
            };
            offset += size;
        }
        var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        var padded = (headerBytes.Length + 7) / 8 * 8; // data starts 8-byte aligned; padding is spaces
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 20);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
        stream.Write(length);
        stream.Write(headerBytes);
        for (var i = headerBytes.Length; i < padded; i++) stream.WriteByte((byte)' ');
        using var _ = no_grad();
        foreach (var (_, tensor, type) in list)
        {
            var perChunk = Math.Max(1, ChunkBytes / ElementSize(type));
            using var flat = tensor.detach().reshape(-1);
            for (long done = 0; done < flat.NumberOfElements; done += perChunk)
            {
                using var scope = NewDisposeScope();
                var part = flat.narrow(0, done, Math.Min(perChunk, flat.NumberOfElements - done)).to(type).cpu().contiguous();
                stream.Write(part.bytes);
            }
        }
    }

    /// <summary>Reads every tensor of one file (on the CPU, in its stored type).</summary>
    public static Dictionary<string, Tensor> Load(string path)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            ReadInto(path, entry => result[entry.Name] = empty(entry.Shape, dtype: entry.DType).DetachFromDisposeScope());
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
        return result;
    }

    /// <summary>The weight files of a checkpoint directory: the shards its index names, or <c>model.safetensors</c>.</summary>
    public static IReadOnlyList<string> ModelFiles(string directory)
    {
        var index = Path.Combine(directory, IndexFile);
        if (File.Exists(index))
        {
            var map = JsonNode.Parse(File.ReadAllText(index))!["weight_map"]?.AsObject()
                ?? throw new InvalidDataException($"'{index}': field 'weight_map' is missing");
            return map.Select(kv => Path.Combine(directory, kv.Value!.GetValue<string>())).Distinct().ToList();
        }
        var single = Path.Combine(directory, SingleFile);
        if (!File.Exists(single)) throw new FileNotFoundException($"no {SingleFile} or {IndexFile} in '{directory}'", single);
        return [single];
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
        var bytesPer = ElementSize(dtype);
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
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var file in ModelFiles(directory))
        {
            foreach (var (name, tensor) in Load(file)) result[name] = tensor;
        }
        return result;
    }
}
