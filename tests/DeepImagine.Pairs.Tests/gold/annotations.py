"""Hand annotations, one entry per trial, each written from reading the raw record (see README.md here).
groups: results-group title -> the registered arm it reports on with that arm's active interventions (names as in the
record), the dose of the arm stated in the record's words for that arm (amount, unit[, frequency]) or None when the
record states no fixed dose for it, and flags: placebo (placebo / sham / no intervention), noint (no intervention),
comparator (active comparator); or not=<why it is not an arm>.
hib: per outcome (or (outcome, class/category)) whether a higher value is better, None where the words do not say.
cells: which cells (indexes in record order) of an outcome are in the gold set (default: the first)."""


def A(arm, ints, dose=None, comparator=False):
    return dict(arm=arm, ints=ints, dose=dose, comparator=comparator)


def P(arm, noint=False):
    return dict(arm=arm, ints=[], placebo=True, noint=noint)


def N(why):
    return dict(**{'not': why})


TRIALS = {}

# --- ctgov-legacy-xml-2023: the trials issue 18 names ---
TRIALS['NCT00499252'] = dict(  # single-arm nab-paclitaxel; O1's "groups" are AE grades 0-3 of the same 47 patients
    groups={'Grade 0': N('adverse-event grade of the same patients'), 'Grade 1 (CTCAE v 3.0)': N('adverse-event grade'),
            'Grade 2 (CTCAE v 3.0)': N('adverse-event grade'), 'Grade 3 (CTCAE v 3.0)': N('adverse-event grade')},
    outcomes=['O1'], hib={'O1': False}, cells={'O1': [0, 1]})
TRIALS['NCT00497770'] = dict(  # observational: ethnic cohorts, all on pemetrexed at the physician's discretion, no dose stated
    groups={'Caucasian': A('Caucasian', ['Pemetrexed']), 'African American': A('African American', ['Pemetrexed']),
            'Asian American': A('Asian American', ['Pemetrexed']), 'Hispanic': A('Hispanic', ['Pemetrexed'])},
    outcomes=['O0', 'O1'], hib={'O0': True, 'O1': True})
TRIALS['NCT00492856'] = dict(  # O0 groups are treatment phases (induction, consolidation, maintenance, GO); O1 is the randomisation
    groups={'ATRA + Ara-C + Daunorubicin': N('induction phase'), 'Consolidation': N('consolidation phase'),
            'ATRA+6-MP+MTX': N('maintenance phase of all patients'), 'Gemtuzumab Ozogamicin': N('phase / add-on cohort'),
            'Post-consolidation Therapy Arm I': A('Post-consolidation therapy arm I', ['mercaptopurine', 'methotrexate', 'tretinoin']),
            'Post-consolidation Therapy Arm II': P('Post-consolidation therapy arm II', noint=True)},
    outcomes=['O0', 'O1'], hib={'O0': False, 'O1': True})
TRIALS['NCT00460564'] = dict(  # BTX (GSK1358820) high 200 U / low 120 U (group descriptions) vs placebo volumes; O2 classes are weeks
    groups={'High-Dose BTX': A('High-Dose BTX', ['GSK1358820'], (200, 'units')), 'High-Dose Placebo': P('High-Dose Placebo'),
            'Low-Dose BTX': A('Low-Dose BTX', ['GSK1358820'], (120, 'units')), 'Low-Dose Placebo': P('Low-Dose Placebo')},
    outcomes=['O0', 'O2'], hib={'O0': None, 'O2': None}, cells={'O2': [0, 4]})
TRIALS['NCT00495469'] = dict(  # GSK189075 dose groups registered as one arm; the titles state each dose; pioglitazone group has no arm
    groups={'Placebo': P('Placebo'), 'GSK189075 100 mg QD': A('GSK189075', ['GSK189075'], (100, 'mg', 'once daily')),
            'GSK189075 250 mg QD': A('GSK189075', ['GSK189075'], (250, 'mg', 'once daily')),
            'GSK189075 500 mg QD': A('GSK189075', ['GSK189075'], (500, 'mg', 'once daily')),
            'GSK189075 1000 mg QD': A('GSK189075', ['GSK189075'], (1000, 'mg', 'once daily')),
            'GSK189075 250 mg BID': A('GSK189075', ['GSK189075'], (250, 'mg', 'twice daily')),
            'Pioglitazone 30 mg QD': N('pioglitazone group: no registered arm or intervention')},
    outcomes=['O0', 'O3'], hib={'O0': False, 'O3': None})
TRIALS['NCT00006604'] = dict(  # atazanavir (ATV) age groups; the results-group titles state each group's ATV dose in mg/m^2
    groups={'Step I: Group 3: ATV Dose: 520mg/m^2 Capsule': A('Step I: Group 3', ['ATV'], (520, 'mg/m2')),
            'Step I: Group 4: ATV Dose: 620mg/m^2 Capsule': A('Step I: Group 4', ['ATV'], (620, 'mg/m2')),
            'Step I: Group 5: ATV Dose: 310mg/m^2 Powder + RTV': A('Step I: Group 5', ['ATV', 'Ritonavir'], (310, 'mg/m2')),
            'Step I: Group 5a: ATV Dose: 310mg/m^2 Powder + RTV': A('Step I: Group 5a', ['ATV', 'Ritonavir'], (310, 'mg/m2')),
            'Step I: Group 6: ATV Dose: 310mg/m^2 Powder + RTV': A('Step I: Group 6', ['ATV', 'Ritonavir'], (310, 'mg/m2')),
            'Step I: Group 7: ATV Dose: 205mg/m^2 Capsule + RTV': A('Step I: Group 7', ['ATV', 'Ritonavir'], (205, 'mg/m2')),
            'Step I: Group 8: ATV Dose: 205mg/m^2 Capsule + RTV': A('Step I: Group 8', ['ATV', 'Ritonavir'], (205, 'mg/m2'))},
    outcomes=['O1'], hib={'O1': False}, cells={'O1': [0]})
TRIALS['NCT00000142'] = dict(  # deferral arm: treatment deferred, then either regimen (no dose); low 3 vs high 5 mg/kg maintenance
    groups={'Treatment Deferral': A('treatment deferral', ['Cidofovir']), 'Cidofovir (Low Dose)': A('Cidofovir (low dose)', ['Cidofovir'], (3, 'mg/kg')),
            'Cidofovir (High Dose)': A('Cidofovir (high dose)', ['Cidofovir'], (5, 'mg/kg'))},
    outcomes=['O0'], hib={'O0': False}, cells={'O0': [0, 1]})

# --- ctgov-legacy-xml-2023: two-arm trials read in full ---
TRIALS['NCT00000392'] = dict(  # peptide T 2 mg three times a day intranasally vs placebo
    groups={'Peptide T': A('Peptide T', ['Peptide T'], (2, 'mg'), comparator=True), 'Placebo': P('Placebo')},
    outcomes=['O0'], hib={'O0': None})
TRIALS['NCT00001723'] = dict(  # orlistat 120 mg TID vs placebo; O4's groups are race subgroups of both arms
    groups={'Orlistat': A('Orlistat', ['Orlistat'], (120, 'mg')), 'Placebo': P('Placebo'),
            'Orlistat - Non-Hispanic Blacks': N('race subgroup'), 'Orlistat - Non- Hispanic Whites': N('race subgroup'),
            'Placebo - Non-Hispanic Blacks': N('race subgroup'), 'Placebo - Non-Hispanic Whites': N('race subgroup')},
    outcomes=['O0', 'O1', 'O4'], hib={'O0': None, 'O1': None, 'O4': None})
TRIALS['NCT00005669'] = dict(  # metformin titrated to max 2000 mg/day (no fixed dose) vs placebo; group titles name the drug, not the arm label
    groups={'Metformin Plus Weight Reduction Counseling': A('1 - Metformin HCL', ['Metformin HCL'], comparator=True),
            'Placebo Plus Weight Reduction Counseling': P('2 - Placebo')},
    outcomes=['O0', 'O2'], hib={'O0': None, 'O2': None})
TRIALS['NCT00005879'] = dict(  # arzoxifene (LY353381) 20 mg daily vs placebo
    groups={'Placebo': P('Placebo'), 'Arzoxifene': A('Arzoxifene', ['arzoxifene'], (20, 'mg'))},
    outcomes=['O0', 'O1'], hib={'O0': None, 'O1': None, ('O1', 'No Improvement'): False, ('O1', 'Improvement'): True}, cells={'O1': [0, 1]})
TRIALS['NCT00006101'] = dict(  # eflornithine 500 mg/day vs placebo; classes: total PSA, % free PSA, prostate volume
    groups={'Eflornithine': A('eflornithine', ['eflornithine'], (500, 'mg')), 'Placebo': P('Placebo')},
    outcomes=['O0'], hib={'O0': None}, cells={'O0': [0, 1, 2]})
TRIALS['NCT00460993'] = dict(  # crossover: each group is a sequence (drug then placebo / placebo then drug)
    groups={'Group 1': N('crossover sequence (active in phase 1, placebo in phase 2)'), 'Group 2': N('crossover sequence (placebo then active)')},
    outcomes=['O0'], hib={'O0': None})
TRIALS['NCT00461123'] = dict(  # vardenafil 10 mg evening before + 20 mg before surgery (no single dose) vs placebo; classes: baseline, day 90
    groups={'Vardenafil (Levitra, BAY38-9456)': A('Vardenafil (Levitra, BAY38-9456)', ['Vardenafil (Levitra, BAY38-9456)']), 'Placebo': P('Placebo')},
    outcomes=['O0', 'O1'], hib={'O0': True, 'O1': False}, cells={'O0': [0, 1], 'O1': [0, 1]})
TRIALS['NCT00490542'] = dict(  # ziprasidone flexibly dosed from 40 mg/day vs placebo
    groups={'Ziprasidone Arm': A('Geodon arm', ['ziprasidone (Geodon)'], comparator=True), 'Placebo Arm': P('Placebo arm')},
    outcomes=['O0'], hib={'O0': False})  # MADRS: a depression rating scale, lower is less depression
TRIALS['NCT00001596'] = dict(  # pirfenidone 801 mg TID vs placebo
    groups={'Pirfenidone': A('Pirfenidone', ['Pirfenidone'], (801, 'mg'), comparator=True), 'Placebo': P('Placebo')},
    outcomes=['O0', 'O1', 'O2'], hib={'O0': None, 'O1': None, 'O2': None})
TRIALS['NCT00004563'] = dict(  # cyclophosphamide from 1 mg/kg/day, titrated (no fixed dose) vs placebo
    groups={'Cylophosphamide': A('Cylophosphamide', ['Cyclophosphamide']), 'Placebo': P('Placebo')},
    outcomes=['O0', 'O1'], hib={'O0': None, 'O1': None})
TRIALS['NCT00005947'] = dict(  # sipuleucel-T vs placebo; each measure has two analyses of the same two groups that agree
    groups={'Sipuleucel-T': A('sipuleucel-T', ['sipuleucel-T'], comparator=True), 'Placebo': P('Placebo')},
    outcomes=['O0', 'O1'], hib={'O0': True, 'O1': True})
TRIALS['NCT00006400'] = dict(  # hydroxyurea vs placebo; O0 categories "Worse" / "Not worse"
    groups={'Hydroxyurea': A('Hydroxyurea', ['Hydroxyurea'], comparator=True), 'Placebo': P('Placebo')},
    outcomes=['O0', 'O1'], hib={'O0': None, ('O0', 'Worse'): False, ('O0', 'Not worse'): True, 'O1': None}, cells={'O0': [0, 1]})
TRIALS['NCT00008385'] = dict(  # selenium yeast daily (no amount) vs yeast placebo
    groups={'Arm I (Placebo)': P('Arm I'), 'Arm II (Selenium)': A('Arm II', ['selenium'])},
    outcomes=['O0', 'O1'], hib={'O0': False, 'O1': True})
TRIALS['NCT00461032'] = dict(  # montelukast 5 mg QD (intervention description, group title) vs placebo; arms labelled "1" / "2"
    groups={'Placebo': P('2'), 'Montelukast 5 mg': A('1', ['montelukast'], (5, 'mg'))},
    outcomes=['O0'], hib={'O0': False})
TRIALS['NCT00461097'] = dict(  # egg OIT with escalating doses vs cornstarch placebo ("Control Group", placebo comparator)
    groups={'Egg Oral Immunotherapy (OIT)': A('Egg Oral Immunotherapy (OIT)', ['Egg oral immunotherapy']), 'Placebo': P('Control Group')},
    outcomes=['O0', 'O1'], hib={'O0': True, 'O1': True})
TRIALS['NCT00461552'] = dict(  # leptin weight-based dose vs placebo; O0 medians with full range
    groups={'Leptin': A('Leptin', ['Leptin'], comparator=True), 'Placebo': P('Placebo')},
    outcomes=['O0', 'O1'], hib={'O0': None, 'O1': None})
TRIALS['NCT00490802'] = dict(  # oxytocin 24 IU intranasal twice daily vs placebo
    groups={'Intranasal Oxytocin': A('Intranasal Oxytocin', ['Oxytocin'], (24, 'IU')), 'Placebo': P('Placebo')},
    outcomes=['O0', 'O2'], hib={'O0': None, 'O2': None})
TRIALS['NCT00491322'] = dict(  # ergocalciferol 50,000 international units weekly vs matching placebo
    groups={'Ergocalciferol Group': A('Ergocalciferol group', ['Ergocalciferol'], (50000, 'IU')),
            'Ergocalciferol Placebo Group': P('Ergocalciferol Placebo group')},
    outcomes=['O0'], hib={'O0': None})
TRIALS['NCT00491504'] = dict(  # mometasone nasal spray 200 mcg total vs placebo
    groups={'Mometasone Furoate Nasal Spray 200 mcg': A('Mometasone Furoate Nasal Spray (MFNS)', ['Mometasone Furoate Nasal Spray'], (200, 'mcg')),
            'Placebo': P('Placebo')},
    outcomes=['O0'], hib={'O0': False})
TRIALS['NCT00492024'] = dict(  # moxifloxacin 400 mg QD vs placebo; O0 categories of clinical outcome (percent of subjects)
    groups={'Moxifloxacin 400 mg': A('Moxifloxacin 400 mg', ['Moxifloxacin (Avelox, BAY12-8039)'], (400, 'mg')), 'Placebo': P('Placebo')},
    outcomes=['O0'], hib={'O0': True, ('O0', 'Success (Clinical Cure)'): True, ('O0', 'Failure'): False, ('O0', 'Indeterminate'): None,
                         ('O0', 'Complete resolution'): True, ('O0', 'Improvement'): True}, cells={'O0': [0, 1, 2, 3, 4]})
TRIALS['NCT00492349'] = dict(  # varenicline 0.5 mg QD titrated to BID (no single dose) vs placebo; classes are smoker subgroups
    groups={'Varenicline': A('1', ['Varenicline']), 'Placebo': P('2')},
    outcomes=['O0'], hib={'O0': False}, cells={'O0': [0, 1]})
TRIALS['NCT00492531'] = dict(  # sildenafil 20 -> 40 -> 80 mg TID escalation (no single dose) vs placebo; classes are weeks
    groups={'Sildenafil': A('Sildenafil', ['Sildenafil']), 'Placebo': P('Placebo')},
    outcomes=['O1'], hib={'O1': False}, cells={'O1': [0, 3]})
TRIALS['NCT00494299'] = dict(  # sorafenib 400 mg bid vs placebo; two analyses of TTP without p-values
    groups={'Sorafenib (Nexavar, BAY43-9006)': A('Sorafenib (Nexavar, BAY43-9006)', ['Sorafenib (Nexavar, BAY43-9006)'], (400, 'mg')),
            'Placebo': P('Placebo')},
    outcomes=['O0', 'O2'], hib={'O0': True, 'O2': False}, cells={'O2': [0, 1]})
TRIALS['NCT00495586'] = dict(  # amoxicillin/clavulanate 500/125 mg TID (a combination: no single amount) vs placebo
    groups={'Placebo': P('Placebo'), 'Amoxycillin and Clavulanic Acid': A('Amoxycillin and clavulanic acid', ['Amoxicillin and clavulanic acid'], comparator=True)},
    outcomes=['O0'], hib={'O0': True})
TRIALS['NCT00495820'] = dict(  # methylphenidate 5 mg BID then 10 mg BID (no single dose) vs placebo
    groups={'Methylphenidate Group': A('Arm 1', ['Methylphenidate']), 'Placebo Group': P('Arm 2')},
    outcomes=['O0', 'O1'], hib={'O0': None, 'O1': None})
TRIALS['NCT00497081'] = dict(  # mirtazapine 30 mg daily vs placebo; group titles are arm types, the descriptions name the drug
    groups={'Active Comparator:': A('Mirtazapine', ['mirtazapine'], (30, 'mg'), comparator=True), 'Placebo Comparator:': P('Placebo')},
    outcomes=['O0', 'O2'], hib={'O0': True, 'O2': False})
TRIALS['NCT00498615'] = dict(  # 3-period crossover, groups are the treatments: fasudil 40 mg, 80 mg, placebo
    groups={'40 mg Fasudil': A('40 mg Fasudil', ['Fasudil'], (40, 'mg')), '80 mg Fasudil': A('Fasudil 80 mg', ['Fasudil'], (80, 'mg')),
            'Placebo': P('placebo')},
    outcomes=['O1'], hib={'O1': None})

# --- ctgov-v2-json ---
TRIALS['NCT01037244'] = dict(  # udenafil 50 / 100 / 150 mg vs placebo (arm labels); analyses vs placebo only
    groups={'Udenafil 50 mg': A('Udenafil 50 mg', ['Udenafil'], (50, 'mg')), 'Udenafil 100 mg': A('Udenafil 100 mg', ['Udenafil'], (100, 'mg')),
            'Udenafil 150mg': A('Udenafil 150 mg', ['Udenafil'], (150, 'mg')), 'Placebo': P('Placebo')},
    outcomes=['O0', 'O1'], hib={'O0': True, 'O1': True})
TRIALS['NCT00790751'] = dict(  # avanafil 50 / 100 / 200 mg vs placebo
    groups={'Placebo': P('placebo'), 'Avanafil 50 mg': A('avanafil 50 mg', ['avanafil'], (50, 'mg')),
            'Avanafil 100 mg': A('avanafil 100 mg', ['avanafil'], (100, 'mg')), 'Avanafil 200 mg': A('avanafil 200 mg', ['avanafil'], (200, 'mg'))},
    outcomes=['O0', 'O2'], hib={'O0': True, 'O2': True})
TRIALS['NCT00809471'] = dict(  # avanafil 100 / 200 mg vs placebo
    groups={'Placebo': P('placebo'), 'Avanafil 100 mg': A('avanafil 100 mg', ['avanafil'], (100, 'mg')),
            'Avanafil 200 mg': A('avanafil 200 mg', ['avanafil'], (200, 'mg'))},
    outcomes=['O0', 'O2'], hib={'O0': True, 'O2': True})
TRIALS['NCT00655629'] = dict(  # vardenafil ODT 10 mg vs placebo; classes are age subgroups and the total of both arms' rows
    groups={'Vardenafil ODT (STAXYN, BAY38-9456)': A('Vardenafil ODT (STAXYN, BAY38-9456)', ['Vardenafil ODT (STAXYN, BAY38-9456)'], (10, 'mg')),
            'Placebo': P('Placebo')},
    outcomes=['O0', 'O3'], hib={'O0': True, 'O3': True}, cells={'O0': [0, 1, 2], 'O3': [2]})
TRIALS['NCT01130532'] = dict(  # groups carry "(Period III)" (the randomised period): tadalafil 2.5 titrated to 5 mg, 5 mg, placebo
    groups={'2.5 mg Titrated to 5 mg Tadalafil (Period III)': A('2.5 milligram (mg) titrated to 5 mg Tadalafil', ['Tadalafil'], comparator=True),
            '5 mg Tadalafil (Period III)': A('5 mg Tadalafil', ['Tadalafil'], (5, 'mg'), comparator=True), 'Placebo (Period III)': P('Placebo')},
    outcomes=['O0', 'O1'], hib={'O0': True, 'O1': True})

# --- ctgov-legacy-xml ---
TRIALS['NCT02305381'] = dict(  # semaglutide 0.5 / 1.0 mg weekly; one placebo group pools the two placebo arms
    groups={'Semaglutide 0.5 mg': A('Semaglutide 0.5 mg/Week', ['semaglutide'], (0.5, 'mg')), 'Semaglutide 1.0 mg': A('Semaglutide 1.0 mg/Week', ['semaglutide'], (1.0, 'mg')),
            'Placebo': P('Semaglutide Placebo 0.5 mg/Week')},
    outcomes=['O0', 'O1', 'O2'], hib={'O0': False, 'O1': None, 'O2': False})
TRIALS['NCT00739908'] = dict(  # CX157 60 mg TID (group title) vs placebo
    groups={'Oral CX157 60 mg TID (Total Daily Dose of 180 mg)': A('CX157 (TriRima)', ['CX157 (TriRima)'], (60, 'mg')), 'Oral Placebo TID': P('Placebo')},
    outcomes=['O0', 'O1', 'O2', 'O3'], hib={'O0': False, 'O1': True, 'O2': True, 'O3': False})
TRIALS['NCT00183339'] = dict(  # fluoxetine flexible 2-20 mg/day (no fixed dose) vs placebo
    groups={'Placebo': P('Placebo'), 'Fluoxetine': A('fluoxetine', ['Fluoxetine'])},
    outcomes=['O2', 'O3'], hib={'O2': None, 'O3': None})

# --- clinDR dose-group tables (dose 0 is the placebo group; the table gives no unit) ---
def Z(arm):
    return dict(arm=arm, ints=[], placebo=True, dose=(0, None))


TRIALS['clinDR:1-2'] = dict(groups={'Placebo': Z('Placebo'), 'PF-00734200 20 QD': A('PF-00734200 20 QD', ['PF-00734200'], (20, None, 'once daily')),
                                    'PF-00734200 30 QD': A('PF-00734200 30 QD', ['PF-00734200'], (30, None, 'once daily'))},
                            outcomes=['O0'], hib={'O0': False})
TRIALS['clinDR:10-1'] = dict(groups={'Placebo': Z('Placebo'), 'UK-068798 0.25 BID': A('UK-068798 0.25 BID', ['UK-068798'], (0.25, None, 'twice daily')),
                                     'UK-068798 0.5 BID': A('UK-068798 0.5 BID', ['UK-068798'], (0.5, None, 'twice daily')),
                                     'UK-068798 1 BID': A('UK-068798 1 BID', ['UK-068798'], (1, None, 'twice daily'))},
                             outcomes=['O0'], hib={'O0': None})
TRIALS['clinDR:16-2'] = dict(groups={'Placebo': Z('Placebo'), 'PD-144723 75 TID': A('PD-144723 75 TID', ['PD-144723'], (75, None, 'three times daily')),
                                     'PD-144723 300 TID': A('PD-144723 300 TID', ['PD-144723'], (300, None, 'three times daily')),
                                     'PD-144723 600 TID': A('PD-144723 600 TID', ['PD-144723'], (600, None, 'three times daily'))},
                             outcomes=['O0'], hib={'O0': False})

# --- held out: annotated after the miner's rules were final, before running the miner on them ---
TRIALS['NCT00491374'] = dict(heldout=True,  # mometasone nasal spray 200 mcg (4 x 50 mcg) once daily vs placebo
    groups={'Placebo': P('Placebo'), 'Mometasone Furoate Nasal Spray': A('MFNS', ['Mometasone Furoate Nasal Spray'], (200, 'mcg'))},
    outcomes=['O0'], hib={'O0': False})
TRIALS['NCT00492115'] = dict(heldout=True,  # therapeutic CPAP vs sham (placebo) CPAP
    groups={'A: Continuous Positive Airway Pressure (CPAP):': A('therapeutic CPAP Treatment (6 weeks)"', ['Continuous positive airway pressure (CPAP)'], comparator=True),
            'B: Placebo CPAP: Ineffective CPAP': P('Sham CPAP/therapetuic CPAP (6 weeks)"')},
    outcomes=['O0', 'O1'], hib={'O0': False, 'O1': False})
TRIALS['NCT00493974'] = dict(heldout=True,  # zileuton 600 mg four times a day vs placebo
    groups={'Zileuton': A('Zileuton', ['Zileuton'], (600, 'mg'), comparator=True), 'Placebo': P('Placebo')},
    outcomes=['O0', 'O1', 'O2'], hib={'O0': False, 'O1': None, 'O2': None})
TRIALS['NCT00497198'] = dict(heldout=True,  # MCI-196 3 x 500 mg tablets TID, "dose in a day: 4500mg", vs placebo
    groups={'MCI-196': A('MCI-196', ['MCI-196'], (4500, 'mg')), 'Placebo': P('Placebo')},
    outcomes=['O0', 'O1', 'O2'], hib={'O0': False, 'O1': False, 'O2': False})
TRIALS['NCT00499863'] = dict(heldout=True,  # methylphenidate patch, dose optimised (no fixed dose), vs placebo patch (arm "2")
    groups={'Methylphenidate Transdermal System': A('Methylphenidate Transdermal System', ['methylphenidate transdermal system']),
            'Placebo (PTS)': P('2')},
    outcomes=['O0', 'O1', 'O2'], hib={'O0': False, 'O1': False, 'O2': True})
TRIALS['NCT00501943'] = dict(heldout=True,  # riluzole 50 mg BID + Avonex vs placebo + Avonex
    groups={'Riluzole': A('Riluzole', ['Avonex (Interferon beta 1a)', 'Riluzole'], (50, 'mg'), comparator=True), 'Placebo': P('Placebo')},
    outcomes=['O0', 'O1', 'O2'], hib={'O0': None, 'O1': None, 'O2': None})
