namespace DeepImagine.Tests;

/// <summary>The repository root (where DeepImagine.sln is), found from the test binaries' folder.</summary>
internal static class RepoRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "DeepImagine.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("the repository root (DeepImagine.sln) was not found above " + AppContext.BaseDirectory);
    }
}
