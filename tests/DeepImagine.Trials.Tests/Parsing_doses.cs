namespace DeepImagine.Trials.Tests;

public class Parsing_doses
{
    [Theory]
    [InlineData("Avanafil", "Avanafil 100 mg", 100, "mg")]
    [InlineData("Semaglutide", "Semaglutide 0.5 mg/Week", 0.5, "mg")]
    [InlineData("insulin", "insulin 10 IU", 10, "IU")]
    [InlineData("drug", "drug 2.5 mg/kg", 2.5, "mg/kg")]
    [InlineData("Tadalafil", "Tadalafil daily [5 milligrams (mg)] 5mg", 5, "mg")]
    [InlineData("B", "A 10 mg + B 25 mcg", 25, "mcg")]
    [InlineData("drug", "1,000 mg twice daily", 1000, "mg")]
    public void Reads_the_amount_and_unit_stated_for_the_intervention(string name, string text, double amount, string unit)
    {
        var dose = DoseParser.Find(name, text)!;

        Assert.Equal(amount, dose.Amount);
        Assert.Equal(unit, dose.Unit);
    }

    [Theory]
    [InlineData("10 mg BID", "twice daily", null)]
    [InlineData("orally once daily", "once daily", "oral")]
    [InlineData("injected subcutaneously once-weekly", "once weekly", "subcutaneous")]
    [InlineData("given IV every 2 weeks", "every 2 weeks", "intravenous")]
    public void Reads_frequency_and_route(string text, string? frequency, string? route)
    {
        var dose = DoseParser.Find("x", text)!;

        Assert.Equal(frequency, dose.Frequency);
        Assert.Equal(route, dose.Route);
    }

    [Fact]
    public void Does_not_take_a_concentration_for_a_dose()
    {
        Assert.Null(DoseParser.Find("gel", "gel 10 mg/mL applied")?.Amount);
    }

    [Fact]
    public void Says_nothing_when_the_text_states_no_dose()
    {
        Assert.Null(DoseParser.Find("Behavioural therapy", "Cognitive behavioural therapy sessions"));
    }
}
