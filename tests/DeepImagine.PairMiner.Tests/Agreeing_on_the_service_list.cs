using System.Text.Json;
using System.Text.RegularExpressions;
using DeepImagine.ServiceDefaults;
using DeepImagine.Tests;

namespace DeepImagine.PairMiner.Tests;

/// <summary>infra/services.tsv is the one list: everything else that names services reads it or agrees with it.</summary>
public class Agreeing_on_the_service_list
{
    private static readonly IReadOnlyList<ServiceEntry> Services = ServiceList.Load(Path.Combine(RepoRoot.Path, "infra", ServiceList.FileName));
    private static string ComposeFile(string path) => File.ReadAllText(Path.Combine(RepoRoot.Path, path));

    /// <summary>The lines of one top-level service of a compose file (two-space indent), or null.</summary>
    private static string? ComposeBlock(string name, string file = "docker-compose.yml") =>
        Regex.Match(ComposeFile(file), $@"(?ms)^  {Regex.Escape(name)}:\n(.*?)(?=^  \S|^\S|\z)") is { Success: true } m ? m.Groups[1].Value : null;

    [Fact]
    public void Lists_pair_miner_and_the_gateway_with_their_ports()
    {
        Assert.Equal(5101, Services.Single(s => s.Name == "pair-miner").Port);
        Assert.Equal(5100, Services.Single(s => s.Name == "gateway").Port);
    }

    [Fact]
    public void Every_listed_project_exists_and_listens_on_its_listed_port()
    {
        foreach (var service in Services)
        {
            var folder = Path.Combine(RepoRoot.Path, service.Project);
            Assert.True(File.Exists(Path.Combine(folder, service.Assembly + ".csproj")), $"{service.Name}: no {service.Assembly}.csproj in {service.Project}");
            using var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "appsettings.json")));
            Assert.Equal(service.LocalUrl, settings.RootElement.GetProperty("Urls").GetString());
        }
    }

    [Fact]
    public void Docker_compose_runs_every_listed_service_on_its_port_and_the_gateway_reaches_each_one_with_routes()
    {
        foreach (var service in Services)
        {
            var block = ComposeBlock(service.Name);
            Assert.True(block is not null, $"docker-compose.yml has no service '{service.Name}'");
            Assert.Contains($"dockerfile: services/{service.Name}/Dockerfile", block, StringComparison.Ordinal);
            Assert.Contains($"Urls: http://0.0.0.0:{service.Port}", block, StringComparison.Ordinal);
            // Published ports live in the override docker compose loads by default (host networking refuses them).
            var published = ComposeBlock(service.Name, "docker-compose.override.yml");
            Assert.True(published is not null, $"docker-compose.override.yml has no service '{service.Name}'");
            Assert.Contains($"\"{service.Port}:{service.Port}\"", published, StringComparison.Ordinal);
        }
        var gateway = ComposeBlock("gateway")!;
        foreach (var service in Services.Where(s => s.Routes.Count > 0))
            Assert.Contains($"ReverseProxy__Clusters__{service.Name}__Destinations__primary__Address: http://{service.Name}:{service.Port}", gateway, StringComparison.Ordinal);
    }

    [Fact]
    public void The_host_network_override_runs_every_listed_service_on_loopback_on_its_own_port_and_the_gateway_reaches_each_one()
    {
        const string file = "infra/compose/docker-compose.host.yml";
        var ports = new Dictionary<string, int>();
        foreach (var service in Services)
        {
            var block = ComposeBlock(service.Name, file);
            Assert.True(block is not null, $"{file} has no service '{service.Name}'");
            Assert.Contains("network_mode: host", block, StringComparison.Ordinal);
            var url = Regex.Match(block, @"Urls: http://127\.0\.0\.1:(\d+)");
            Assert.True(url.Success, $"{file}: '{service.Name}' does not listen on 127.0.0.1 (Urls)");
            ports[service.Name] = int.Parse(url.Groups[1].Value);
            Assert.False(Services.Any(s => s.Port == ports[service.Name]), $"{file}: '{service.Name}' takes port {ports[service.Name]}, a locally run service's");
        }
        Assert.Equal(ports.Count, ports.Values.Distinct().Count());
        var gateway = ComposeBlock("gateway", file)!;
        foreach (var service in Services.Where(s => s.Routes.Count > 0))
            Assert.Contains($"ReverseProxy__Clusters__{service.Name}__Destinations__primary__Address: http://127.0.0.1:{ports[service.Name]}", gateway, StringComparison.Ordinal);
    }

    [Fact]
    public void The_local_service_runner_reads_the_list_and_names_no_service_itself()
    {
        var script = File.ReadAllText(Path.Combine(RepoRoot.Path, "infra", "local", "services.sh"));
        Assert.Contains("infra/services.tsv", script, StringComparison.Ordinal);
        foreach (var service in Services)
        {
            Assert.DoesNotContain(service.Assembly, script, StringComparison.Ordinal);
            Assert.DoesNotContain($":{service.Port}", script, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("/api/trials", "/api/trials/{**rest}")]
    [InlineData("/api/pairs/", "/api/pairs/{**rest}")]
    [InlineData("/openapi/trials.json", "/openapi/trials.json")]
    public void A_route_prefix_covers_everything_below_it_and_a_file_only_itself(string route, string pattern) =>
        Assert.Equal(pattern, ServiceList.PathPattern(route));

    [Fact]
    public void A_malformed_line_is_refused_naming_the_line_and_the_field()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "# comment\npair-miner\tservices/x\t51o1\t/api\t/health\n");
            var error = Assert.Throws<FormatException>(() => ServiceList.Load(path));
            Assert.Contains("line 2", error.Message, StringComparison.Ordinal);
            Assert.Contains("'port'", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
