using System.Text;
using DeepImagine.Trials;

namespace DeepImagine.TraceGenerator.Examples;

/// <summary>
/// A trial's registry text for pretraining: title, conditions, keywords, design, eligibility, arms, interventions and
/// outcome titles and time frames. Never results: no measurement, group count, p-value or analysis is written.
/// </summary>
public static class RegistryText
{
    public static string Of(Trial trial)
    {
        var text = new StringBuilder();
        void Line(string name, string? value)
        {
            if (!string.IsNullOrWhiteSpace(value)) text.Append(name).Append(": ").Append(value.Trim()).Append('\n');
        }

        Line("Trial", trial.TrialId);
        Line("Title", trial.Title);
        if (trial.OfficialTitle != trial.Title) Line("Official title", trial.OfficialTitle);
        Line("Conditions", string.Join("; ", trial.Conditions));
        Line("Keywords", string.Join("; ", trial.Keywords));
        Line("Study type", trial.StudyType);
        Line("Phases", string.Join(", ", trial.Phases));
        Line("Allocation", trial.Design.Allocation);
        Line("Intervention model", trial.Design.InterventionModel);
        Line("Primary purpose", trial.Design.PrimaryPurpose);
        Line("Masking", trial.Design.Masking);
        Line("Countries", string.Join(", ", trial.Countries));
        Line("Sex", trial.Eligibility.Sex);
        Line("Minimum age", trial.Eligibility.MinimumAge?.Text);
        Line("Maximum age", trial.Eligibility.MaximumAge?.Text);
        Line("Eligibility", trial.Eligibility.Criteria);
        foreach (var arm in trial.Arms)
        {
            var interventions = string.Join("; ", arm.Interventions.Select(i => i.Dose is null ? i.Name : $"{i.Name} {i.Dose.Text}"));
            Line("Arm", $"{arm.Label}{(arm.Type is null ? "" : $" ({arm.Type})")}{(interventions.Length > 0 ? $": {interventions}" : "")}");
            Line("Arm description", arm.Description);
        }
        foreach (var intervention in trial.Interventions)
        {
            Line("Intervention", intervention.Type is null ? intervention.Name : $"{intervention.Name} ({intervention.Type})");
            Line("Intervention description", intervention.Description);
        }
        foreach (var outcome in trial.Outcomes)
        {
            Line("Outcome", outcome.Kind is null ? outcome.Title : $"{outcome.Title} ({outcome.Kind})");
            Line("Outcome time frame", outcome.TimeFrame);
        }
        return text.ToString().TrimEnd();
    }
}
