namespace DeepImagine.Evaluation.Methods;

/// <summary>Namespaced feature tokens hashed (FNV-1a, stable across runs) into a fixed-length presence vector.</summary>
public static class FeatureHasher
{
    public const int Dimensions = 1 << 12;

    public static float[] Vector(IEnumerable<string> features)
    {
        var vector = new float[Dimensions];
        foreach (var feature in features) vector[Bucket(feature)] = 1f;
        return vector;
    }

    public static int Bucket(string feature)
    {
        var hash = 2166136261u;
        foreach (var c in feature)
        {
            hash ^= c;
            hash *= 16777619u;
        }
        return (int)(hash % Dimensions);
    }
}
