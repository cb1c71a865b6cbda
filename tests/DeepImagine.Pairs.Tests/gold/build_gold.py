"""Builds gold.json from the hand annotations in annotations.py and the raw records (record_facts.py).

Hand-judged (annotations.py, each from reading the record): which registered arm each results group reports on, or
that it is not an arm (and why); the arm's active interventions; the dose of the arm read from the record's words
for that arm (or none); whether the arm is placebo / sham / no intervention or an active comparator; which way is
better for each measure (or category), or that the words do not say. Read from the record: values, N (class-level
first), spreads, analyses. Derived by the issue's definitions (issue 18, "What is wanted"): relation, orientation
(anchor = placebo-like arm, active comparator, lower dose), direction (z = difference / sqrt(SE_A^2 + SE_B^2),
same when |z| < 1.96; proportions of the analysed N; no z from ranges / IQRs / no spread: unknown unless equal),
significance (only an analysis on exactly the two groups of a measure with one cell per group).
Run: python3 build_gold.py  (writes gold.json beside it)."""
import json, math, os, re, sys
sys.path.insert(0, os.path.dirname(__file__))
from record_facts import xml_record, v2_record, clindr_rows
from annotations import TRIALS

Z95 = 1.959964
PART = re.compile(r'^(participants|patients|subjects|people|persons|women|men|children|infants)$', re.I)
PCT = re.compile(r'^(percent(age)?|%|proportion)s?( of)? (participants|patients|subjects|people|persons|women|men|children|infants)$', re.I)


def token(s):
    return None if s is None else re.sub(r'[^A-Z0-9]', '_', s.split('(')[0].strip().upper())


def se(v, disp, n):
    d = token(disp) or ''
    if d == 'STANDARD_ERROR' and v['spread'] is not None:
        return v['spread']
    if d == 'STANDARD_DEVIATION' and v['spread'] is not None and n:
        return v['spread'] / math.sqrt(n)
    if 'CONFIDENCE' in d and v['lower'] is not None and v['upper'] is not None and v['upper'] >= v['lower']:
        z = {'': Z95, '95': Z95, '90': 1.644854, '80': 1.281552, '99': 2.575829}.get(re.match(r'\d*', d).group(0))
        return None if z is None else (v['upper'] - v['lower']) / (2 * z)
    return None


def direction(o, va, vb):
    unit, param = (o['unit'] or '').strip(), token(o['param'])
    count = param == 'COUNT_OF_PARTICIPANTS' or (param == 'NUMBER' and PART.match(unit))
    pct = param in ('NUMBER', 'COUNT_OF_PARTICIPANTS') and PCT.match(unit)
    if count or pct:
        if not va['n'] or not vb['n']:
            return 'unknown'
        frac = unit.lower().startswith('proportion')
        pa = va['value'] / va['n'] if count else va['value'] if frac else va['value'] / 100
        pb = vb['value'] / vb['n'] if count else vb['value'] if frac else vb['value'] / 100
        if not (0 <= pa <= 1 and 0 <= pb <= 1):
            return 'unknown'
        sa = math.sqrt(max(pa * (1 - pa), 0.25 / va['n']) / va['n'])
        sb = math.sqrt(max(pb * (1 - pb), 0.25 / vb['n']) / vb['n'])
        diff = pb - pa
    else:
        sa, sb = se(va, o['dispersion'], va['n']), se(vb, o['dispersion'], vb['n'])
        diff = vb['value'] - va['value']
        if sa is None or sb is None or sa + sb <= 0:
            return 'same' if diff == 0 else 'unknown'
    z = diff / math.sqrt(sa * sa + sb * sb)
    return 'same' if abs(z) < Z95 else 'higher' if diff > 0 else 'lower'


def significance(o, ga, gb):
    per_group = {}
    for c in o['cells']:
        for g in c['values']:
            per_group[g] = per_group.get(g, 0) + 1
    if max(per_group.values(), default=0) != 1:
        return None
    hits = [a for a in o['analyses'] if len(a['groups']) == 2 and set(a['groups']) == {ga, gb}]
    verdicts = {sig(a) for a in hits}
    return verdicts.pop() if len(verdicts) == 1 else None  # several analyses of the two groups: only when they agree


def sig(a):
    p, comp = a['p'], a['comparator']
    if p is None:
        return None
    if comp == '>':
        return False if p >= 0.05 else None
    return p <= 0.05 if comp == '<' else p < 0.05


def clindr_record(rid):
    rows = clindr_rows(rid)
    rec = dict(id=rid, folder='clindr-dose-response', arms={}, interventions=[], outcomes={})
    keys = []
    for r in rows:
        amount = float(r['dose'])
        label = 'Placebo' if amount == 0 else f"{r['gname']} {r['dose']}{(' ' + r['regimen']) if r['regimen'] else ''}"
        key = '|'.join([r['etype'], r['poptype'], r['endpointShort'], r['primtime'], r['timeunit']])
        if key not in keys:
            keys.append(key)
            binary = r['primtype'].upper() == 'BINARY'
            rec['outcomes'][f'O{keys.index(key)}'] = dict(title=r['endpointLong'] or r['endpointShort'], time_frame=f"{r['primtime']} {r['timeunit']}",
                                                          unit='proportion of participants' if binary else None, param='PROPORTION' if binary else 'MEAN',
                                                          dispersion='Standard Error' if r['se'] else 'Standard Deviation' if r['sd'] else None,
                                                          groups={}, cells=[dict(cls=None, category=None, values={})], analyses=[])
        o = rec['outcomes'][f'O{keys.index(key)}']
        o['groups'][label] = dict(title=label, description=None)
        n = float(r['sampsize'] or r['ittsize']) if (r['sampsize'] or r['ittsize']) else None
        o['cells'][0]['values'][label] = dict(value=float(r['rslt']), spread=float(r['se'] or r['sd']) if (r['se'] or r['sd']) else None,
                                             lower=None, upper=None, n=n)
    return rec


def load(trial):
    if trial.startswith('clinDR:'):
        return clindr_record(trial)
    try:
        return xml_record(trial)
    except IndexError:
        return v2_record(trial)


def amount_key(d):
    return None if d is None else (d[0], d[1], d[2] if len(d) > 2 else None)


FREQ = {'once weekly': 1 / 7, 'once daily': 1, 'twice daily': 2, 'three times daily': 3, 'four times daily': 4}


def build():
    gold = []
    for trial, ann in TRIALS.items():
        rec = load(trial)
        for oid in ann['outcomes']:
            o = rec['outcomes'][oid]
            hib_default = ann['hib'][oid]
            cells = o['cells']
            if 'cells' in ann and oid in ann['cells']:
                cells = [cells[i] for i in ann['cells'][oid]]
            else:
                cells = cells[:1]
            for cell in cells:
                gids = list(cell['values'].keys())
                for i in range(len(gids)):
                    for j in range(i + 1, len(gids)):
                        gold.append(pair(trial, rec, ann, oid, o, cell, gids[i], gids[j], hib_default))
    return gold


def pair(trial, rec, ann, oid, o, cell, g1, g2, hib_default):
    t1, t2 = o['groups'][g1]['title'], o['groups'][g2]['title']
    s1, s2 = ann['groups'][t1], ann['groups'][t2]
    base = dict(trial=trial, folder=rec['folder'], heldout=bool(ann.get('heldout')), outcome=oid, outcome_title=o['title'], cls=cell['cls'], category=cell['category'])
    excerpt = [f"outcome {oid} '{o['title']}' ({o['unit']}; {o['param']}; {o['dispersion']})",
               f"cell class={cell['cls']!r} category={cell['category']!r}"]
    for g, s in ((g1, s1), (g2, s2)):
        v = cell['values'][g]
        desc = (o['groups'][g]['description'] or '')[:240]
        excerpt.append(f"group {g} '{o['groups'][g]['title']}': {desc} | value {v['value']} spread {v['spread']} [{v['lower']}, {v['upper']}] N {v['n']}")
        if s.get('arm') and s['arm'] in rec['arms']:
            a = rec['arms'][s['arm']]
            excerpt.append(f"arm '{s['arm']}' ({a['type']}): {(a['description'] or '')[:240]}")
    for a in o['analyses']:
        if set(a['groups']) == {g1, g2}:
            excerpt.append(f"analysis {a['groups']} p={a['text']}")
    override = ann.get('override', {}).get((oid, t1, t2)) or ann.get('override', {}).get((oid, t2, t1))
    drop = None
    if s1.get('not') or s2.get('not'):
        drop = 'not an arm: ' + '; '.join(x['not'] for x in (s1, s2) if x.get('not'))
    elif cell['values'][g1]['n'] == 0 or cell['values'][g2]['n'] == 0:
        drop = 'a side has N = 0'
    elif s1.get('placebo') and s2.get('placebo'):
        drop = 'two placebo-like arms'
    relation, a_first, either = None, True, False
    if drop is None:
        if s1.get('placebo') or s2.get('placebo'):
            a_first = bool(s1.get('placebo'))
            anchor = s1 if a_first else s2
            relation = 'dose_vs_placebo' if rec['folder'] == 'clindr-dose-response' else 'drug_vs_no_intervention' if anchor.get('noint') else 'drug_vs_placebo'
        elif sorted(s1['ints']) == sorted(s2['ints']):
            d1, d2 = s1.get('dose'), s2.get('dose')
            if d1 and d2 and d1[1] == d2[1] and (d1[0] != d2[0] or (len(d1) > 2 and len(d2) > 2 and d1[2] != d2[2])):
                relation = 'dose_ranging'
                a_first = d1[0] < d2[0] or (d1[0] == d2[0] and FREQ[d1[2]] < FREQ[d2[2]])
            else:
                drop = 'same interventions without two stated, different doses'
        else:
            if s1.get('comparator') or s2.get('comparator'):
                relation = 'drug_vs_active'
                a_first = bool(s1.get('comparator'))
            else:
                relation, either = 'different_interventions', True
    if override == 'drop':
        drop, relation = ann['override_reason'], None
    if drop is not None:
        return dict(base, expect='drop', why=drop, groupA=g1, groupB=g2, excerpt=excerpt)
    ga, gb = (g1, g2) if a_first else (g2, g1)
    sa, sb = (s1, s2) if a_first else (s2, s1)
    va, vb = cell['values'][ga], cell['values'][gb]
    cat = cell['category'] if cell['category'] and not re.match(r'^(week|day|month|year)\s*\d+$', cell['category'], re.I) else None
    hib = ann['hib'].get((oid, cat or cell['cls']), hib_default)
    return dict(base, expect='pair', groupA=ga, groupB=gb, orientation_fixed=not either,
                armA=sa['arm'], armB=sb['arm'], interventionsA=sorted(sa['ints']), interventionsB=sorted(sb['ints']),
                doseA=dose(sa), doseB=dose(sb), valueA=va['value'], valueB=vb['value'], nA=va['n'], nB=vb['n'],
                relation=relation, direction=direction(o, va, vb), significant=significance(o, ga, gb), higherIsBetter=hib,
                excerpt=excerpt)


def dose(s):
    d = s.get('dose')
    return None if not d else dict(amount=d[0], unit=d[1])


if __name__ == '__main__':
    gold = build()
    with open(os.path.join(os.path.dirname(__file__), 'gold.json'), 'w') as f:
        json.dump(gold, f, indent=1, ensure_ascii=False)
    trials = {g['trial'] for g in gold}
    print(f"pairs={len(gold)} kept={sum(g['expect'] == 'pair' for g in gold)} dropped={sum(g['expect'] == 'drop' for g in gold)} trials={len(trials)} "
          f"from_2023={sum(g['folder'] == 'ctgov-legacy-xml-2023' for g in gold)} heldout={sum(g['heldout'] for g in gold)} folders={sorted({g['folder'] for g in gold})}")
