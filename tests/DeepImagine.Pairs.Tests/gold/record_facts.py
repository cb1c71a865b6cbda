"""Reads the facts a gold pair needs straight from a raw record (legacy XML, v2 JSON line, clinDR CSV rows):
groups (title, description), arms, interventions, and per outcome its cells (class, category, per-group value,
spread, limits, analysed N with class-level N first) and analyses. No project code is used: the gold set is
written from the records, then compared with the miner."""
import csv, glob, gzip, json, os, xml.etree.ElementTree as ET

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))


def _t(e, p):
    x = e.find(p)
    return x.text.strip() if x is not None and x.text and x.text.strip() else None


def _num(s):
    if s is None:
        return None
    s = s.strip().replace(',', '')
    for c in '<>=≤≥':
        s = s.replace(c, '')
    try:
        return float(s)
    except ValueError:
        return None


def _pv(s):
    """p-value text -> (value, comparator)."""
    if s is None:
        return None, None
    s = s.strip().replace(' ', '')
    comp = '<' if s.startswith('<') else '>' if s.startswith('>') else '='
    return _num(s), comp


def xml_record(nct):
    path = glob.glob(os.path.join(ROOT, 'data', 'ctgov-legacy-xml*', 'xml', nct + '.xml'))[0]
    r = ET.parse(path).getroot()
    rec = dict(id=nct, folder=path.split(os.sep)[-3], arms={}, interventions=[], outcomes={})
    for a in r.findall('arm_group'):
        rec['arms'][_t(a, 'arm_group_label')] = dict(type=_t(a, 'arm_group_type'), description=_t(a, 'description'))
    for i in r.findall('intervention'):
        rec['interventions'].append(dict(name=_t(i, 'intervention_name'), type=_t(i, 'intervention_type'),
                                         arms=[x.text.strip() for x in i.findall('arm_group_label')], description=_t(i, 'description')))
    for k, o in enumerate(r.findall('clinical_results/outcome_list/outcome')):
        ms = o.findall('measure') or o.findall('measure_list/measure')
        n = {}
        if len(ms) > 1 and _t(ms[0], 'title') == 'Number of Participants' and (_t(ms[0], 'units') or '').lower() == 'participants':
            for m in ms[0].iter('measurement'):
                n[m.get('group_id')] = _num(m.get('value'))
            ms = ms[1:]
        for m in ms:
            al = m.findall('analyzed_list/analyzed')
            pick = next((a for a in al if (_t(a, 'units') or '').lower() == 'participants'), al[0] if al else None)
            if pick is not None:
                for c in pick.findall('count_list/count'):
                    n.setdefault(c.get('group_id'), _num(c.get('value')))
        m0 = ms[0] if ms else None
        out = dict(title=_t(o, 'title'), time_frame=_t(o, 'time_frame'), unit=_t(m0, 'units') if m0 is not None else None,
                   param=_t(m0, 'param') if m0 is not None else None, dispersion=_t(m0, 'dispersion') if m0 is not None else None,
                   groups={g.get('group_id'): dict(title=_t(g, 'title'), description=_t(g, 'description')) for g in o.findall('group_list/group')},
                   cells=[], analyses=[])
        for m in ms:
            for c in m.findall('class_list/class'):
                ct = _t(c, 'title')
                cn = {}
                for an in c.findall('analyzed_list/analyzed'):
                    if (_t(an, 'units') or '').lower() == 'participants':
                        for x in an.findall('count_list/count'):
                            cn[x.get('group_id')] = _num(x.get('value'))
                for cat in c.findall('category_list/category'):
                    vals = {}
                    for x in cat.findall('measurement_list/measurement'):
                        g = x.get('group_id')
                        vals[g] = dict(value=_num(x.get('value')), spread=_num(x.get('spread')), lower=_num(x.get('lower_limit')),
                                       upper=_num(x.get('upper_limit')), n=cn.get(g, n.get(g)))
                    out['cells'].append(dict(cls=ct, category=_t(cat, 'title') or _t(cat, 'sub_title'), values=vals))
        for a in o.iter('analysis'):
            p, comp = _pv(_t(a, 'p_value'))
            out['analyses'].append(dict(groups=[g.text.strip() for g in a.findall('group_id_list/group_id')], p=p, comparator=comp, text=_t(a, 'p_value')))
        rec['outcomes'][f'O{k}'] = out
    return rec


_V2 = None


def v2_record(nct):
    global _V2
    if _V2 is None:
        _V2 = {}
        with gzip.open(os.path.join(ROOT, 'data', 'ctgov-v2-json', 'studies.jsonl.gz'), 'rt') as f:
            for line in f:
                s = json.loads(line)
                _V2[s['protocolSection']['identificationModule']['nctId']] = s
    s = _V2[nct]
    p = s['protocolSection']
    aim = p.get('armsInterventionsModule', {})
    rec = dict(id=nct, folder='ctgov-v2-json', arms={}, interventions=[], outcomes={})
    for a in aim.get('armGroups', []):
        rec['arms'][a['label']] = dict(type=a.get('type'), description=a.get('description'))
    for i in aim.get('interventions', []):
        rec['interventions'].append(dict(name=i['name'], type=i.get('type'), arms=i.get('armGroupLabels', []), description=i.get('description')))
    for k, o in enumerate(s.get('resultsSection', {}).get('outcomeMeasuresModule', {}).get('outcomeMeasures', [])):
        n = {}
        for d in o.get('denoms', []):
            if d.get('units', '').lower() != 'participants' and n:
                continue
            for c in d.get('counts', []):
                n[c['groupId']] = _num(c.get('value'))
        out = dict(title=o['title'], time_frame=o.get('timeFrame'), unit=o.get('unitOfMeasure'), param=o.get('paramType'),
                   dispersion=o.get('dispersionType'), groups={g['id']: dict(title=g.get('title'), description=g.get('description')) for g in o.get('groups', [])},
                   cells=[], analyses=[])
        for c in o.get('classes', []):
            cn = {x['groupId']: _num(x.get('value')) for d in c.get('denoms', []) for x in d.get('counts', [])}
            for cat in c.get('categories', []):
                vals = {}
                for x in cat.get('measurements', []):
                    g = x['groupId']
                    vals[g] = dict(value=_num(x.get('value')), spread=_num(x.get('spread')), lower=_num(x.get('lowerLimit')),
                                   upper=_num(x.get('upperLimit')), n=cn.get(g, n.get(g)))
                out['cells'].append(dict(cls=c.get('title'), category=cat.get('title'), values=vals))
        for a in o.get('analyses', []):
            pv, comp = _pv(a.get('pValue'))
            out['analyses'].append(dict(groups=a.get('groupIds', []), p=pv, comparator=comp, text=a.get('pValue')))
        rec['outcomes'][f'O{k}'] = out
    return rec


def clindr_rows(record_id):
    with open(os.path.join(ROOT, 'data', 'clindr-dose-response', 'metaData.csv'), newline='') as f:
        rows = [r for r in csv.DictReader(f) if r['split_key'].endswith('|' + record_id.split(':')[1]) or r.get('split_key', '').split('|')[-1] == record_id.split(':')[1]]
    return rows
