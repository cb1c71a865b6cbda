namespace DeepImagine.Model.Tests;

public class Scoring_options
{
    [Fact]
    public void Batched_scoring_gives_each_question_the_option_probabilities_it_gets_alone_whatever_the_batch_limits()
    {
        using var model = Qwen3ForCausalLM.CreateRandom(TinyModels.Config(), seed: 5);
        var random = new Random(3);
        List<int> Tokens(int n) => Enumerable.Range(0, n).Select(_ => random.Next(3, 290)).ToList();
        var questions = new List<OptionQuestion>();
        for (var i = 0; i < 9; i++)
        {
            var prompt = Tokens(5 + 7 * i);
            // Even questions: answer lines that differ only in their last token (one row); odd: whole different continuations.
            IReadOnlyList<IReadOnlyList<int>> options = i % 2 == 0
                ? [[40, 41, 7], [40, 41, 8], [40, 41, 9]]
                : [Tokens(2), Tokens(4)];
            questions.Add(new OptionQuestion(prompt, options));
        }

        var alone = questions.Select(q => TextGenerator.ScoreOptions(model, q.Prompt, q.Options, padId: 0).Probabilities).ToList();
        foreach (var (rows, tokens) in new[] { (8, 8192), (3, 64), (1, 1) })
        {
            var batched = OptionScoring.LogLikelihoods(model, questions, padId: 0, maxRowsPerBatch: rows, maxBatchTokens: tokens);
            for (var i = 0; i < questions.Count; i++)
                Assert.Equal(alone[i], OptionScoring.Softmax(batched[i]), (a, b) => Math.Abs(a - b) < 1e-4);
        }
    }
}
