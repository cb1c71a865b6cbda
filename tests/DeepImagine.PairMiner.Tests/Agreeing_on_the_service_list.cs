using System.Text.Json;
using System.Text.RegularExpressions;
using DeepImagine.ServiceDefaults;
using DeepImagine.Tests;

namespace DeepImagine.PairMiner.Tests;

/// <summary>infra/services.tsv is the one list: everything else that names services reads it or agrees with it.</summary>
public class Agreeing_on_the_service_list
{
    private static readonly IReadOnlyList<ServiceEntry> Services = ServiceList.Load(Path.Combine(RepoRoot.Path, "infra", ServiceList.FileName));
    private static string Compose => File.ReadAllText(Path.Combine(RepoRoot.Path, "docker-compose.yml"));

    /// <summary>The lines of one top-level service of docker-compose.yml (two-space indent), or null.</summary>
    private static string? ComposeBlock(string name) =>
        Regex.Match(Compose, $@"(?ms)^  {Regex.Escape(name)}:\n(.*?)(?=^  \S|^\S|\z)") is { Success: true } m ? m.Groups[1].Value : null;

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
            Assert.Contains($"\"{service.Port}:{service.Port}\"", block, StringComparison.Ordinal);
        }
        var gateway = ComposeBlock("gateway")!;
        foreach (var service in Services.Where(s => s.Routes.Count > 0))
            Assert.Contains($"ReverseProxy__Clusters__{service.Name}__Destinations__primary__Address: http://{service.Name}:{service.Port}", gateway, StringComparison.Ordinal);
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
