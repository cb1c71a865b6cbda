using DeepImagine.Imagining;
using DeepImagine.Model;
using DeepImagine.Predictor.Operators;

namespace DeepImagine.Predictor.Tests;

public sealed class Stopping_steps_at_the_result_line
{
    private static readonly StepPrompt[] Prompts =
    [
        new(StepFormat.SystemText, "The dose of Budesonide doubles from 200 mcg to 400 mcg. How does the result change?", StepFormat.TemplateVersion),
        new(StepFormat.SystemText, "The arm changes from Budesonide to Fluticasone. How does the result change?", StepFormat.TemplateVersion),
        new(StepFormat.SystemText, "The endpoint changes from Change in FEV1 to Asthma exacerbation rate. How does the result change?", StepFormat.TemplateVersion),
    ];

    private static readonly string[] Answers =
    [
        "Doses differ.\nRESULT: direction=higher log_ratio=0.3 significant=yes\nRESULT: direction=lower",
        "Similar drugs.\nRESULT: direction=same log_ratio=0 significant=no\nRESULT: direction=same",
        "Another endpoint.\nRESULT: direction=lower log_ratio=unknown significant=unknown\nRESULT:",
    ];

    /// <summary>A tiny operator overfitted on step answers that write a trace, a RESULT line and then go on (as a looping operator does).</summary>
    private static StepOperator WritingOperator(TinyOperators store)
    {
        var tokenizer = store.Tokenizer!;
        var model = Qwen3ForCausalLM.CreateRandom(TinyOperators.Config(tokenizer.VocabSize), seed: 21);
        using (var trainer = new SftTrainer(model, tokenizer, new SftOptions { MaxSteps = 120, BatchSize = 3, LearningRate = 1e-2, WarmupSteps = 10, WeightDecay = 0, MaxGradNorm = 1.0, Seed = 1 }))
        {
            trainer.Train(Prompts.Select((p, i) => new SftExample([new ChatMessage("system", p.System), new ChatMessage("user", p.User), new ChatMessage("assistant", Answers[i])])).ToList());
        }
        return new StepOperator("writing@v1", model, tokenizer);
    }

    [Fact]
    public void A_step_stopped_where_its_result_line_begins_reads_the_same_result_as_one_run_to_the_token_budget()
    {
        using var store = new TinyOperators(withBase: true);
        using var op = WritingOperator(store);
        var tokenizer = op.Tokenizer;
        const int budget = 40;

        var stopped = StepRunner.Run(op, Prompts, budget);

        // The reference: the same prompts generated to the budget (no stop pattern, no cached prefix), read the same way.
        var chats = Prompts.Select(p => tokenizer.FormatChat([new ChatMessage("system", p.System), new ChatMessage("user", p.User)], addGenerationPrompt: true)).ToList();
        using var runOn = TextGenerator.Start(op.Model, tokenizer, chats.Select(c => (IReadOnlyList<int>)tokenizer.Encode(c)).ToList(),
            new GenerationOptions { MaxNewTokens = budget, StopTokenIds = [tokenizer.ImEndId, tokenizer.EndOfTextId] });
        var reference = ResultScoring.ChooseAll(runOn.Results.Select((g, i) => new AnswerToScore(chats[i], ResultScoring.TraceOf(g.Text), null)).ToList(), runOn.ScoreTextOptions);

        for (var i = 0; i < Prompts.Length; i++)
        {
            // The operator learned its answers: the written-on text has a RESULT line, so stopping had somewhere to stop.
            Assert.NotNull(StepAnswer.FirstResultLineIndex(runOn.Results[i].Text));
            Assert.True(stopped[i].GeneratedTokens < runOn.Results[i].Tokens.Count, $"row {i}: {stopped[i].GeneratedTokens} tokens stopped, {runOn.Results[i].Tokens.Count} run on");
            Assert.Equal(reference[i].Completion, stopped[i].Completion);
            Assert.Equal(reference[i].Result, stopped[i].Parsed);
            Assert.Equal(reference[i].DirectionProbabilities[ResultDirection.Higher], stopped[i].Distribution.Higher, 1e-4);
            Assert.Equal(reference[i].DirectionProbabilities[ResultDirection.Lower], stopped[i].Distribution.Lower, 1e-4);
            Assert.Equal(reference[i].SignificantYes / (reference[i].SignificantYes + reference[i].SignificantNo), stopped[i].Distribution.Significant, 1e-4);
        }
    }

    [Fact]
    public void A_loaded_lora_operator_is_merged_and_reads_the_steps_of_the_adapter_applied_apart()
    {
        using var store = new TinyOperators(withBase: true, adapterFactors: [DeepImagine.Pairs.Factors.Arm]);
        using var set = OperatorSet.Load(store.Store, TinyOperators.BaseName)!;
        var merged = set.For(DeepImagine.Pairs.Factors.Arm);
        Assert.All(merged.Model.Projections, p => Assert.True(p.Projection.IsMerged));
        var unmergedModel = Checkpoint.Load(store.BaseVersion!.Directory);
        Checkpoint.LoadAdapter(unmergedModel, store.Store.Find($"{TinyOperators.BaseName}-{DeepImagine.Pairs.Factors.Arm}")!.Directory);
        using var unmerged = new StepOperator("unmerged@v1", unmergedModel, merged.Tokenizer);

        var fromMerged = StepRunner.Run(merged, Prompts, maxNewTokens: 12);
        var fromUnmerged = StepRunner.Run(unmerged, Prompts, maxNewTokens: 12);
        for (var i = 0; i < Prompts.Length; i++)
        {
            Assert.Equal(fromUnmerged[i].Completion, fromMerged[i].Completion);
            Assert.Equal(fromUnmerged[i].Distribution.Higher, fromMerged[i].Distribution.Higher, 1e-4);
            Assert.Equal(fromUnmerged[i].Distribution.Lower, fromMerged[i].Distribution.Lower, 1e-4);
            Assert.Equal(fromUnmerged[i].Distribution.Same, fromMerged[i].Distribution.Same, 1e-4);
            Assert.Equal(fromUnmerged[i].Distribution.Significant, fromMerged[i].Distribution.Significant, 1e-4);
        }
    }

    [Fact]
    public void Step_prompts_start_from_the_operators_cached_system_turn()
    {
        using var store = new TinyOperators(withBase: true);
        using var set = OperatorSet.Load(store.Store, TinyOperators.BaseName)!;
        var op = set.For(DeepImagine.Pairs.Factors.Arm);
        var tokenizer = op.Tokenizer;
        var prefix = op.SystemPrefix(StepFormat.SystemText);

        Assert.Same(prefix, op.SystemPrefix(StepFormat.SystemText));
        Assert.True(TextGenerator.Extends(prefix.Tokens, Prompts.Select(p => (IReadOnlyList<int>)tokenizer.Encode(
            tokenizer.FormatChat([new ChatMessage("system", p.System), new ChatMessage("user", p.User)], addGenerationPrompt: true)))));
        // The system turn is most of a short step prompt: what each batch no longer encodes per row.
        Assert.True(prefix.Tokens.Count > 50, $"system turn of {prefix.Tokens.Count} tokens");
    }
}
