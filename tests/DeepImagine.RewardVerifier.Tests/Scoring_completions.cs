using DeepImagine.Contracts.V1;
using DeepImagine.Rewards;

namespace DeepImagine.RewardVerifier.Tests;

/// <summary>Hand-worked rewards with the default settings: format 0 / −1, direction 1, significance 0.5, magnitude 0.5·exp(−|Δ| / 0.5), option 1.</summary>
public class Scoring_completions
{
    private static readonly RewardSettings Defaults = new();

    private static VerifiableAnswer StepGold(string? direction, bool? significant, double? logRatio) => new(direction, significant, logRatio, null);

    public static TheoryData<string, double, double, double, double, double> StepCases => new()
    {
        // completion → format, direction, significance, magnitude, reward; gold: higher, significant, log ratio 0.5
        { "Higher dose, higher response.\nRESULT: direction=higher log_ratio=0.5 significant=yes", 0, 1, 0.5, 0.5, 2.0 },
        { "RESULT: direction=lower log_ratio=0.5 significant=yes", 0, 0, 0.5, 0.5, 1.0 },
        { "RESULT: direction=higher log_ratio=0.5 significant=no", 0, 1, 0, 0.5, 1.5 },
        { "RESULT: direction=higher log_ratio=0.5 significant=unknown", 0, 1, 0, 0.5, 1.5 },
        // |1.0 − 0.5| = 0.5 = one scale: 0.5·e^−1
        { "RESULT: direction=higher log_ratio=1 significant=yes", 0, 1, 0.5, 0.5 * 0.36787944117144233, 1.5 + 0.5 * 0.36787944117144233 },
        // |−0.5 − 0.5| = 1 = two scales: 0.5·e^−2
        { "RESULT: direction=lower log_ratio=-0.5 significant=no", 0, 0, 0, 0.5 * 0.1353352832366127, 0.5 * 0.1353352832366127 },
        { "RESULT: direction=higher log_ratio=unknown significant=yes", 0, 1, 0.5, 0, 1.5 },
        // Far out but finite: no credit for the magnitude, never NaN.
        { "RESULT: direction=higher log_ratio=1e308 significant=yes", 0, 1, 0.5, 0, 1.5 },
        { "RESULT: direction=higher log_ratio=-1e308 significant=yes", 0, 1, 0.5, 0, 1.5 },
    };

    [Theory]
    [MemberData(nameof(StepCases))]
    public void A_step_answer_earns_each_component_it_gets_right(string completion, double format, double direction, double significance, double magnitude, double reward)
    {
        var score = VerifiableReward.Step(completion, StepGold("higher", true, 0.5), Defaults);

        Assert.True(score.Parseable, score.ParseError);
        Assert.Equal(format, score.Components[RewardComponents.Format]);
        Assert.Equal(direction, score.Components[RewardComponents.Direction]);
        Assert.Equal(significance, score.Components[RewardComponents.Significance]);
        Assert.Equal(magnitude, score.Components[RewardComponents.Magnitude], 12);
        Assert.Equal(reward, score.Reward!.Value, 12);
        Assert.Equal(score.Components.Values.Sum(), score.Reward.Value, 12);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("The dose is higher so the response is higher.")]
    [InlineData("RESULT: direction=up log_ratio=0.5 significant=yes")]
    [InlineData("RESULT: direction=higher log_ratio=NaN significant=yes")]
    [InlineData("RESULT: direction=higher log_ratio=Infinity significant=yes")]
    [InlineData("RESULT: direction=higher log_ratio=-1e400 significant=yes")]
    [InlineData("RESULT: direction=higher log_ratio=0.5")]
    [InlineData("ANSWER: 1")]
    public void A_malformed_step_answer_costs_the_format_penalty_and_earns_nothing_else(string? completion)
    {
        var score = VerifiableReward.Step(completion, StepGold("higher", true, 0.5), Defaults);

        Assert.False(score.Parseable);
        Assert.False(string.IsNullOrEmpty(score.ParseError));
        Assert.Equal(-1, score.Reward);
        Assert.Equal(new Dictionary<string, double>
        {
            [RewardComponents.Format] = -1, [RewardComponents.Direction] = 0, [RewardComponents.Significance] = 0, [RewardComponents.Magnitude] = 0,
        }, score.Components);
    }

    [Fact]
    public void Only_the_known_parts_of_the_gold_are_scored()
    {
        var directionOnly = VerifiableReward.Step("RESULT: direction=same log_ratio=0 significant=no", StepGold("same", null, null), Defaults);
        Assert.Equal(1, directionOnly.Reward);
        Assert.Equal([RewardComponents.Direction, RewardComponents.Format], directionOnly.Components.Keys.Order(StringComparer.Ordinal));

        var significanceOnly = VerifiableReward.Step("RESULT: direction=same log_ratio=0 significant=no", StepGold(null, false, null), Defaults);
        Assert.Equal(0.5, significanceOnly.Reward);

        // A gold log ratio that is not finite (never stored, but not trusted either) is unknown, not a NaN reward.
        foreach (var bad in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity })
        {
            var score = VerifiableReward.Step("RESULT: direction=higher log_ratio=0.5 significant=yes", StepGold("higher", null, bad), Defaults);
            Assert.Equal(1, score.Reward);
            Assert.False(score.Components.ContainsKey(RewardComponents.Magnitude));
        }
    }

    [Theory]
    [InlineData("RESULT: direction=higher log_ratio=0.5 significant=yes")]
    [InlineData("garbage")]
    public void A_gold_answer_entirely_unknown_gives_no_reward(string completion)
    {
        var score = VerifiableReward.Step(completion, StepGold(null, null, null), Defaults);

        Assert.Null(score.Reward);
        Assert.Equal([RewardComponents.Format], score.Components.Keys);
    }

    [Fact]
    public void A_gold_log_ratio_of_1e308_compares_without_overflow()
    {
        Assert.Equal(0.5, VerifiableReward.Step("RESULT: direction=higher log_ratio=1e308 significant=yes", StepGold("higher", null, 1e308), Defaults).Components[RewardComponents.Magnitude]);
        Assert.Equal(0, VerifiableReward.Step("RESULT: direction=lower log_ratio=-1e308 significant=yes", StepGold("higher", null, 1e308), Defaults).Components[RewardComponents.Magnitude]);
        Assert.Equal(0, VerifiableReward.MagnitudeCredit(double.MaxValue, -double.MaxValue, 0.5));
        Assert.Equal(1, VerifiableReward.MagnitudeCredit(-3.25, -3.25, 0.5));
    }

    public static TheoryData<string?, double?, bool, double, double> QuestionCases => new()
    {
        // completion → reward, parseable, format, option; gold option index 2 of 3
        { "No difference expected.\nANSWER: 3", 1, true, 0, 1 },
        { "**Answer:** (3)", 1, true, 0, 1 },
        { "ANSWER: 1", 0, true, 0, 0 },
        { "ANSWER: 2", 0, true, 0, 0 },
        { "ANSWER: 4", -1, false, -1, 0 },
        { "ANSWER: 0", -1, false, -1, 0 },
        { "ANSWER: 99999999999999999999", -1, false, -1, 0 },
        { "ANSWER: C", -1, false, -1, 0 },
        { "I think 3.", -1, false, -1, 0 },
        { null, -1, false, -1, 0 },
    };

    [Theory]
    [MemberData(nameof(QuestionCases))]
    public void A_question_answer_earns_the_option_when_it_names_the_right_one(string? completion, double? reward, bool parseable, double format, double option)
    {
        var score = VerifiableReward.Question(completion, 3, new VerifiableAnswer(null, null, null, 2), Defaults);

        Assert.Equal(reward, score.Reward);
        Assert.Equal(parseable, score.Parseable);
        Assert.Equal(format, score.Components[RewardComponents.Format]);
        Assert.Equal(option, score.Components[RewardComponents.Option]);
    }

    [Fact]
    public void A_question_without_a_known_option_gives_no_reward()
    {
        Assert.Null(VerifiableReward.Question("ANSWER: 1", 2, new VerifiableAnswer(null, null, null, null), Defaults).Reward);
        Assert.Null(VerifiableReward.Question("ANSWER: 1", 2, new VerifiableAnswer(null, null, null, 5), Defaults).Reward);
    }

    [Fact]
    public void A_prompt_is_scored_by_its_kind_and_an_unknown_kind_is_refused()
    {
        var id = Guid.NewGuid();
        var question = new VerifiablePromptRecord(id, Guid.NewGuid(), VerifiablePromptKinds.Comparative, null, "train", ["NCT1"], 1, "s", "p",
            ["X worse", "Y worse", "no difference"], new VerifiableAnswer(null, null, null, 1));
        var step = question with { Kind = VerifiablePromptKinds.ApproximateStep, Options = null, Gold = StepGold("lower", false, -0.2) };

        Assert.Equal(1, VerifiableReward.Score(question, "ANSWER: 2", Defaults).Reward);
        Assert.Equal(2, VerifiableReward.Score(step, "RESULT: direction=lower log_ratio=-0.2 significant=no", Defaults).Reward);
        var error = Assert.Throws<ArgumentException>(() => VerifiableReward.Score(step with { Kind = "riddle" }, "x", Defaults));
        Assert.Contains($"prompt {id}: kind 'riddle'", error.Message, StringComparison.Ordinal);
        var noOptions = Assert.Throws<ArgumentException>(() => VerifiableReward.Score(question with { Options = null }, "ANSWER: 1", Defaults));
        Assert.Contains($"prompt {id}: options has 0 entries", noOptions.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Weights_come_from_the_settings_and_bad_settings_are_refused_by_name()
    {
        var settings = new RewardSettings { UnparseablePenalty = -2, ParseableReward = 0.1, DirectionWeight = 3, SignificanceWeight = 0, MagnitudeWeight = 1, MagnitudeScale = 1 };
        var score = VerifiableReward.Step("RESULT: direction=higher log_ratio=1 significant=no", StepGold("higher", true, 0), settings);
        Assert.Equal(0.1 + 3 + 0 + Math.Exp(-1), score.Reward!.Value, 12);
        Assert.Equal(-2, VerifiableReward.Step("nonsense", StepGold("higher", true, 0), settings).Reward);

        Assert.Contains("Rewards:MagnitudeScale", Assert.Throws<ArgumentException>(() => new RewardSettings { MagnitudeScale = 0 }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("Rewards:DirectionWeight", Assert.Throws<ArgumentException>(() => new RewardSettings { DirectionWeight = double.NaN }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("Rewards:UnparseablePenalty", Assert.Throws<ArgumentException>(() => new RewardSettings { UnparseablePenalty = 1 }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("Rewards:AdvantageEpsilon", Assert.Throws<ArgumentException>(() => new RewardSettings { AdvantageEpsilon = -1 }.Validate()).Message, StringComparison.Ordinal);
    }
}
