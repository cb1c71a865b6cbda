using DeepImagine.Imagining.Retrieval;

namespace DeepImagine.Imagining.Tests;

public class Finding_similar_trials
{
    private static readonly (string Id, string Text)[] Trials =
    [
        ("NCT1", "Semaglutide once weekly in type 2 diabetes; endpoint HbA1c change from baseline"),
        ("NCT2", "Metformin extended release in type 2 diabetes; endpoint fasting plasma glucose"),
        ("NCT3", "Pembrolizumab in non-small cell lung cancer; endpoint overall survival"),
        ("NCT4", "Semaglutide in obesity; endpoint body weight change"),
    ];

    [Fact]
    public void The_documents_sharing_the_rarest_words_come_first()
    {
        var index = new Bm25Index<(string Id, string Text)>(Trials, t => t.Text);

        var nearest = index.Nearest("semaglutide HbA1c in diabetes", 3);

        Assert.Equal(["NCT1", "NCT4", "NCT2"], nearest.Select(n => n.Item.Id));
        Assert.True(nearest[0].Score > nearest[1].Score);
    }

    [Fact]
    public void Excluded_documents_and_documents_sharing_no_word_are_never_returned()
    {
        var index = new Bm25Index<(string Id, string Text)>(Trials, t => t.Text);

        var nearest = index.Nearest("semaglutide HbA1c", 5, exclude: t => t.Id == "NCT1");

        Assert.Equal(["NCT4"], nearest.Select(n => n.Item.Id));
        Assert.Empty(index.Nearest("completely unrelated words", 5));
        Assert.Empty(new Bm25Index<string>([], t => t).Nearest("semaglutide", 5));
    }

    [Fact]
    public void Terms_are_lower_case_words_of_two_or_more_characters_without_stop_words()
    {
        Assert.Equal(["hba1c", "change", "baseline", "12"], TextTerms.Of("HbA1c: change from the baseline (a 12-w)"));
    }
}
