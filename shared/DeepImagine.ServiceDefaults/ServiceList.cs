using System.Globalization;

namespace DeepImagine.ServiceDefaults;

/// <summary>One service of <c>infra/services.tsv</c>: where it is built, where it listens, what the gateway sends to it.</summary>
public sealed record ServiceEntry(string Name, string Project, int Port, IReadOnlyList<string> Routes, string HealthPath)
{
    /// <summary>The assembly (and dll) name: the project folder's name.</summary>
    public string Assembly => Path.GetFileName(Project);

    public string LocalUrl => $"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>
/// The one list of services (<c>infra/services.tsv</c>): read by infra/local/services.sh, by the gateway (its routes and
/// clusters), by docker-compose.yml's agreement test and by the test host. A line per service, tab-separated.
/// </summary>
public static class ServiceList
{
    public const string FileName = "services.tsv";

    /// <summary>The list copied beside the running binary (every project that reads it links it into its output).</summary>
    public static IReadOnlyList<ServiceEntry> Load() => Load(Path.Combine(AppContext.BaseDirectory, FileName));

    public static IReadOnlyList<ServiceEntry> Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"the service list {path} is missing (it is infra/{FileName}, copied at build)", path);
        var entries = new List<ServiceEntry>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var fields = line.Split('\t');
            if (fields.Length != 5)
                throw new FormatException($"{path} line {lineNumber}: {fields.Length} tab-separated fields, expected 5 (name, project, port, routes, health)");
            if (!int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
                throw new FormatException($"{path} line {lineNumber}: field 'port' of '{fields[0]}' is '{fields[2]}', not a port number");
            var routes = fields[3] == "-" ? [] : fields[3].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (routes.FirstOrDefault(r => !r.StartsWith('/')) is { } bad)
                throw new FormatException($"{path} line {lineNumber}: route '{bad}' of '{fields[0]}' does not start with '/'");
            if (!fields[4].StartsWith('/'))
                throw new FormatException($"{path} line {lineNumber}: field 'health' of '{fields[0]}' is '{fields[4]}', not a path");
            entries.Add(new ServiceEntry(fields[0], fields[1], port, routes, fields[4]));
        }
        var duplicate = entries.GroupBy(e => e.Name).FirstOrDefault(g => g.Count() > 1) ?? entries.GroupBy(e => e.Port.ToString(CultureInfo.InvariantCulture)).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new FormatException($"{path}: '{duplicate.Key}' appears twice");
        return entries;
    }

    /// <summary>
    /// The YARP path pattern of a route: an exact path when it names a file (<c>/openapi/trials.json</c>), else the prefix
    /// and everything below it (<c>/api/trials/{**rest}</c>, which also matches <c>/api/trials</c>).
    /// </summary>
    public static string PathPattern(string route) =>
        Path.HasExtension(route) ? route : route.TrimEnd('/') + "/{**rest}";
}
