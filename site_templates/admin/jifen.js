/*
 * jifen 网页登记: what jifen adds to Decap CMS (generator/decap.py writes config.yml and
 * jifen.json beside this file; the page loads Decap with CMS_MANUAL_INIT, then this).
 *
 * - preSave: every record gets an id (ev-/cr-/mt-/obj-<branch>-<YYYY>-<MM>-w<UTC stamp>-<nn>),
 *   a meeting the file's branch, a rule with fixed points its points; empty values are
 *   dropped and keys written in the schema's order, so a saved file holds only what the
 *   data format allows.
 * - members in relation widgets are labelled 姓名（党支部，类别） and limited to the
 *   chosen branch.
 * - a preview pane per form: each member's score before → after (from the internal
 *   site's members/<id>/<year>.json) and the checks a browser can make (rule range and
 *   sign, evidence of additions, dates in closed quarters, …). CI's `jifen validate`
 *   stays the authority.
 * Plain ES2020, no build step: Decap provides window.CMS, window.h and window.createClass.
 */
(function () {
  'use strict';

  const CMS = window.CMS;
  const h = window.h;
  const BASE = new URL('.', document.baseURI);
  let DATA = null;

  // ---------------------------------------------------------------- small helpers

  function js(value) {
    return value && typeof value.toJS === 'function' ? value.toJS() : value;
  }

  function blank(value) {
    // false too: jifen reads an unset yes/no field (a meeting's `separate`) as false
    if (value === undefined || value === null || value === '' || value === false) return true;
    if (typeof value.size === 'number' && typeof value.toJS === 'function') return value.size === 0;
    return Array.isArray(value) && value.length === 0;
  }

  function two(n) {
    return String(n).padStart(2, '0');
  }

  function stamp(now) {
    return 'w' + String(now.getUTCFullYear()).slice(2) + two(now.getUTCMonth() + 1) +
      two(now.getUTCDate()) + two(now.getUTCHours()) + two(now.getUTCMinutes()) +
      two(now.getUTCSeconds());
  }

  function quarterOf(date) {
    return date.slice(0, 4) + '-Q' + (Math.floor((Number(date.slice(5, 7)) - 1) / 3) + 1);
  }

  function signed(n) {
    return n > 0 ? '+' + n : String(n);
  }

  function isDate(text) {
    return typeof text === 'string' && /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(text);
  }

  // ---------------------------------------------------------------- the data

  function member(id) {
    return (DATA.members || {})[id] || null;
  }

  function branchName(id) {
    const branch = DATA.branches[id];
    return branch ? branch.name : id;
  }

  /** 姓名（党支部，类别）: from jifen.json, else from the member's file (a member added
   * since the internal site was built). */
  function memberLabel(id, record) {
    const m = member(id) || record;
    if (!m || !m.name) return id;
    return m.name + '（' + branchName(m.branch) + '，' + (DATA.categories[m.category] || m.category) + '）';
  }

  function memberName(id) {
    const m = member(id);
    return m ? m.name + '（' + id + '）' : id;
  }

  /** The rule version in force on `date` for a member of a branch of `kind`, or a reason. */
  function ruleFor(code, date, branchKind) {
    let known = false;
    for (const catalogue of DATA.catalogues) {
      if (branchKind && !catalogue.applies_to.includes(branchKind)) continue;
      for (const rule of catalogue.rules) {
        if (rule.code !== code) continue;
        known = true;
        if (!date || ((!rule.from || rule.from <= date) && (!rule.until || date <= rule.until))) {
          return {rule};
        }
      }
    }
    return {problem: known ? '规则 ' + code + ' 在 ' + date + ' 不在有效期内（见“积分标准与政策”）。'
      : '规则 ' + code + ' 不适用于' + (DATA.kinds[branchKind] || '该党支部') + '。'};
  }

  function attendanceRule(mark, date, branchKind) {
    for (const catalogue of DATA.catalogues) {
      if (branchKind && !catalogue.applies_to.includes(branchKind)) continue;
      for (const rule of catalogue.rules) {
        if (rule.marks.includes(mark) && (!rule.from || rule.from <= date) &&
            (!rule.until || date <= rule.until)) return rule;
      }
    }
    return null;
  }

  function closedQuarter(branch, date) {
    if (!isDate(date)) return null;
    const quarter = quarterOf(date);
    return (DATA.closed[branch] || []).includes(quarter) ? quarter : null;
  }

  function closedMessage(quarter) {
    return quarter + ' 已经支委会审定公布，不能再登记日期在该季度的事项。审定后发现的漏登，' +
      '请以未审定季度内的日期（例如今天）登记，并在说明中写明原发生日期；登记有误的，请登记更正。';
  }

  // YAML 1.1 (what jifen reads) takes these words for true/false; Decap writes them bare.
  const YAML_WORDS = /^(y|n|yes|no|on|off|true|false|null|~)$/i;

  // ---------------------------------------------------------------- preSave

  function ordered(map, order) {
    let out = map.toOrderedMap().clear();
    for (const key of order) {
      if (map.has(key)) out = out.set(key, map.get(key));
    }
    map.forEach((value, key) => {
      if (!out.has(key)) out = out.set(key, value);
    });
    return out;
  }

  function cleaned(map) {
    return map.filter((value) => !blank(value));
  }

  function makeId(prefix, branch, date, mark, number) {
    const month = isDate(date) ? date.slice(0, 4) + '-' + date.slice(5, 7) + '-' : '';
    let id = prefix + '-' + (branch ? branch + '-' : '') + month + mark + '-' + two(number);
    if (id.length > 64) id = prefix + '-' + month + mark + '-' + two(number);
    return id;
  }

  function fixedPoints(record, branch) {
    const code = record.get('rule');
    if (!code || !blank(record.get('points'))) return record;
    const m = member(record.get('member'));
    const kind = DATA.branches[(m && m.branch) || branch];
    const found = ruleFor(code, record.get('date'), kind && kind.kind);
    if (found.rule && found.rule.fixed !== null && found.rule.fixed !== undefined) {
      return record.set('points', found.rule.fixed);
    }
    return record;
  }

  function preSave({entry}) {
    const form = DATA.forms[entry.get('collection')];
    if (!form) return undefined;
    // The checks of the preview pane: a registration they find wrong is not saved.
    const found = check(form, js(entry.get('data')) || {});
    if (found.errors.length) {
      const message = found.errors.join(' ');  // Decap shows it as “保存内容失败: …”
      throw Object.assign(new Error(message), {toString: () => message});
    }
    let data = cleaned(entry.get('data'));
    const branch = data.get('branch');
    const mark = stamp(new Date());
    const taken = new Set();
    for (const list of form.lists) {
      (js(data.get(list)) || []).forEach((record) => record && record.id && taken.add(record.id));
    }
    let empty = null;  // an empty list, for a list the schema requires
    for (const list of form.lists) {
      let records = data.get(list);
      if (!records) continue;
      empty = records.clear();
      let number = 0;
      records = records.filter((record) => record && !blank(record)).map((record) => {
        let item = cleaned(record);
        if (list === 'meetings' && branch) item = item.set('branch', branch);
        if (list === 'events') item = fixedPoints(item, branch);
        if (!item.get('id')) {
          let id;
          do {
            number += 1;
            id = makeId(form.prefixes[list], branch, item.get('date'), mark, number);
          } while (taken.has(id));
          taken.add(id);
          item = item.set('id', id);
        }
        return ordered(item, form.orders[list] || []);
      });
      data = data.set(list, records);
    }
    for (const key of form.required) {
      if (form.lists.includes(key) && !data.has(key) && empty) data = data.set(key, empty);
    }
    if (form.prefixes[''] && !data.get('id')) {
      const quarter = String(data.get('quarter') || '').toLowerCase();
      const parts = [form.prefixes[''], branch, quarter, mark].filter(Boolean);
      data = data.set('id', parts.join('-').slice(0, 64));
    }
    return ordered(data, form.orders[''] || []);
  }

  // ---------------------------------------------------------------- member labels

  function registerMemberLabels() {
    const relation = CMS.getWidget('relation');
    if (!relation || !relation.control) return;
    const Base = relation.control;
    class MemberControl extends Base {
      constructor(props) {
        super(props);
        const parse = this.parseHitOptions;
        this.parseHitOptions = (hits) => {
          const options = parse(hits);
          if (this.props.field.get('collection') !== 'members') return options;
          const branch = this.props.entry && this.props.entry.getIn(['data', 'branch']);
          const chosen = [].concat(js(this.props.value) || []);
          return options
            .filter((o) => !branch || !o.data || o.data.branch === branch || chosen.includes(o.value))
            .map((o) => Object.assign({}, o, {label: memberLabel(o.value, o.data)}));
        };
      }
    }
    CMS.registerWidget('relation', MemberControl, relation.preview, relation.schema);
  }

  // ---------------------------------------------------------------- scores

  const scores = new Map();  // "<id>/<year>" -> {state, data}

  function score(id, year, onLoad) {
    const key = id + '/' + year;
    const known = scores.get(key);
    if (known) return known;
    const found = {state: 'loading', data: null};
    scores.set(key, found);
    const url = new URL(DATA.members_json.replace('{id}', encodeURIComponent(id))
      .replace('{year}', String(year)), BASE);
    fetch(url, {cache: 'no-store'}).then((response) => {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    }).then((data) => {
      found.state = 'ok';
      found.data = data;
    }).catch(() => {
      found.state = 'missing';
    }).then(() => {
      setTimeout(() => scores.delete(key), 15000);  // the preview site may be rebuilt
      onLoad();
    });
    return found;
  }

  function replay(ledger, added) {
    const policy = DATA.policy;
    const rows = ledger.map((e, i) => ({date: e.date, points: e.points, order: i}))
      .concat(added.map((e, j) => ({date: e.date, points: e.points, order: 1e6 + j})));
    rows.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.order - b.order));
    let balance = policy.base;
    for (const row of rows) {
      balance = Math.max(policy.floor, balance + row.points);
      if (policy.cap !== null && policy.cap !== undefined) balance = Math.min(policy.cap, balance);
    }
    return balance;
  }

  function laggard(value) {
    const p = DATA.policy;
    return p.laggard_inclusive ? value <= p.laggard_below : value < p.laggard_below;
  }

  /** The lines "姓名：当前 X → 登记后 Y" for the counted changes of an entry. */
  function consequences(changes, reload) {
    const byKey = new Map();
    for (const change of changes) {
      if (!change.member || !isDate(change.date)) continue;
      const key = change.member + '/' + change.date.slice(0, 4);
      if (!byKey.has(key)) byKey.set(key, {member: change.member, year: change.date.slice(0, 4), rows: [], notes: []});
      const group = byKey.get(key);
      if (change.points === null) group.notes.push(change.note);
      else group.rows.push(change);
    }
    const lines = [];
    for (const group of byKey.values()) {
      const found = score(group.member, group.year, reload);
      let text;
      if (found.state === 'loading') {
        text = '正在读取积分……';
      } else if (found.state !== 'ok') {
        text = group.year + ' 年度的积分页还没有生成（内部网站数据截至 ' + DATA.as_of + '），无法预计。';
      } else if (found.data.score === null) {
        text = '暂不列入积分制管理，不计分。';
      } else {
        const ledger = found.data.ledger || [];
        const delta = replay(ledger, group.rows) - replay(ledger, []);
        const before = found.data.score;
        const after = before + delta;
        text = group.year + ' 年度积分：当前 ' + before + ' → 登记后 ' + after +
          '（' + (delta === 0 ? '不变' : signed(delta)) + '）';
        if (laggard(after) && !laggard(before)) text += '，将低于 ' + DATA.policy.laggard_below + ' 分（后进）';
      }
      const notes = group.notes.length ? ' ' + group.notes.join(' ') : '';
      lines.push({who: memberName(group.member), text: text + notes});
    }
    return lines;
  }

  // ---------------------------------------------------------------- checks

  function checker() {
    const errors = [];
    const warnings = [];
    return {
      errors, warnings,
      error(text) { errors.push(text); },
      warn(text) { warnings.push(text); },
      text(where, value) {
        if (typeof value === 'string' && YAML_WORDS.test(value.trim())) {
          warnings.push(where + '只写了“' + value + '”，jifen 会把它读成是非值而报错；请换一种写法，例如“是”“否”。');
        }
      },
    };
  }

  function checkEvents(data, form, c, changes) {
    const branch = data.branch;
    const addition = form.rule_kind === 'addition';
    const events = data.events || [];
    const corrections = data.corrections || [];
    if (!branch) c.error('请选择党支部。');
    if (!events.length && !corrections.length) c.error('请至少登记一条' + (addition ? '加分' : '扣分') + '或更正。');
    events.forEach((e, i) => {
      const where = '第 ' + (i + 1) + ' 条' + (addition ? '加分' : '扣分') + '：';
      if (!['member', 'rule', 'date', 'points', 'note', 'evidence'].some((key) => !blank(e[key]))) {
        c.error(where + '还没有填写。只登记更正时，请点这一条右上角的 ✕ 把它删除。');
        return;
      }
      const m = member(e.member);
      if (!e.member) { c.error(where + '请选择党员。'); return; }
      if (!m) { c.warn(where + '党员“' + e.member + '”是内部网站生成之后新建的档案，这里无法核对，请以合并请求中的说明为准。'); return; }
      if (branch && m.branch !== branch) {
        c.error(where + m.name + '是' + branchName(m.branch) + '的党员，不能登记在' + branchName(branch) + '的文件中；请换党支部，或分开登记。');
      }
      if (!isDate(e.date)) c.error(where + '请填写发生日期。');
      else if (e.date > DATA.as_of) c.warn(where + '日期 ' + e.date + ' 在内部网站的数据日期 ' + DATA.as_of + ' 之后，请核对。');
      ['note', 'evidence', 'void_reason', 'approved_by'].forEach((key) => c.text(where, e[key]));
      if (!e.rule) { c.error(where + '请选择规则。'); return; }
      const kind = DATA.branches[m.branch] && DATA.branches[m.branch].kind;
      const found = ruleFor(e.rule, e.date, kind);
      if (!found.rule) { c.error(where + found.problem); return; }
      const rule = found.rule;
      if (rule.marks.length) { c.error(where + '规则 ' + rule.code + ' 是考勤扣分，由“会议考勤”自动计算，不要在这里登记。'); return; }
      if ((rule.kind === 'addition') !== addition) {
        c.error(where + '规则 ' + rule.code + ' 是' + (rule.kind === 'addition' ? '加分项，请在“加分申报”中登记' : '扣分项，请在“扣分登记”中登记') + '。');
        return;
      }
      let points = typeof e.points === 'number' ? e.points : null;
      if (points === null && rule.fixed !== null) points = rule.fixed;
      if (points === null) {
        c.error(where + '规则 ' + rule.code + '“' + rule.name + '”的分值是 ' + signed(rule.min) + ' 至 ' + signed(rule.max) + ' 分，请填写分值。');
      } else if (addition ? points <= 0 : points >= 0) {
        c.error(where + '规则 ' + rule.code + ' 是' + (addition ? '加分项，分值应为正数' : '扣分项，分值应为负数') + '，这里是 ' + points + '。');
      } else if (points < rule.min || points > rule.max) {
        c.error(where + '规则 ' + rule.code + '“' + rule.name + '”的分值' + (rule.fixed !== null ? '是 ' + signed(rule.fixed) : '在 ' + signed(rule.min) + ' 至 ' + signed(rule.max) + ' 之间') + '，这里是 ' + signed(points) + '。');
      }
      if (rule.once) c.warn(where + '规则 ' + rule.code + ' 每年只能登记一次，请确认' + m.name + '本年度还没有登记过。');
      const status = e.status || (addition ? '' : 'registered');
      if (addition && !e.evidence) c.error(where + '加分必须写明书面记录依据（例如：志愿服务签到表）。');
      if (addition && !e.status) c.error(where + '加分须填写状态（个人申报、支部核实或党工委审定）。');
      if (status === 'approved' && (!e.approved_by || !isDate(e.approved_on))) c.error(where + '党工委审定的加分须写明审定人和审定日期。');
      if (status === 'void' && !e.void_reason) c.error(where + '作废须写明作废原因。');
      if (!addition) {
        const closed = closedQuarter(m.branch, e.date);
        if (closed) c.error(where + closedMessage(closed));
      }
      if (status === 'void') return;
      if (addition && status !== 'approved') {
        changes.push({member: e.member, date: e.date, points: null,
          note: '（' + e.date + ' ' + rule.code + ' ' + signed(points || 0) + '：' + (DATA.statuses[status] || '未审定') + '，党工委审定后才计分）'});
        return;
      }
      if (points !== null) changes.push({member: e.member, date: e.date, points});
    });
    checkCorrections(corrections, branch, c, false);
  }

  /** Corrections: of an event (events, additions) or of one member's attendance at a
   * meeting (``member`` and ``mark``; in a meetings file always). */
  function checkCorrections(corrections, branch, c, attendance) {
    corrections.forEach((r, i) => {
      const where = '第 ' + (i + 1) + ' 条' + (attendance ? '考勤更正' : '更正') + '：';
      if (!r.corrects) c.error(where + (attendance ? '请填写会议编号。' : '请填写要撤销的登记编号（考勤更正填会议编号）。'));
      if ((attendance || r.member || r.mark) && !(r.member && r.mark)) c.error(where + '考勤更正须同时选择党员和改正后的考勤。');
      if (r.member && member(r.member) && branch && member(r.member).branch !== branch) {
        c.error(where + member(r.member).name + '不是' + branchName(branch) + '的党员。');
      }
      if (!isDate(r.date)) c.error(where + '请填写更正日期。');
      else if (branch && closedQuarter(branch, r.date)) c.error(where + '更正日期须在未审定的季度，' + quarterOf(r.date) + ' 已审定。');
      if (!r.reason) c.error(where + '请写明更正原因。');
      c.text(where, r.reason);
    });
  }

  function checkMeetings(data, c, changes) {
    const branch = data.branch;
    const meetings = data.meetings || [];
    const corrections = data.corrections || [];
    if (!branch) c.error('请选择党支部。');
    if (!meetings.length && !corrections.length) c.error('请至少登记一次会议或一条考勤更正。');
    checkCorrections(corrections, branch, c, true);
    const kind = DATA.branches[branch] && DATA.branches[branch].kind;
    meetings.forEach((meeting, i) => {
      const where = '第 ' + (i + 1) + ' 次会议：';
      if (!['date', 'title', 'absent', 'leave', 'late', 'early'].some((key) => !blank(meeting[key]))) {
        c.error(where + '还没有填写。只登记考勤更正时，请点这一次会议右上角的 ✕ 把它删除。');
        return;
      }
      if (!isDate(meeting.date)) c.error(where + '请填写会议日期。');
      if (!meeting.title) c.error(where + '请填写会议名称。');
      c.text(where, meeting.title);
      const closed = branch && closedQuarter(branch, meeting.date);
      if (closed) c.error(where + closedMessage(closed));
      const seen = new Map();
      for (const mark of ['absent', 'leave', 'late', 'early']) {
        for (const id of meeting[mark] || []) {
          const m = member(id);
          if (!m) { c.warn(where + '“' + id + '”是内部网站生成之后新建的档案，这里无法核对。'); continue; }
          if (branch && m.branch !== branch) c.error(where + m.name + '不是' + branchName(branch) + '的党员。');
          if (seen.has(id)) { c.error(where + m.name + '同时在“' + seen.get(id) + '”和“' + DATA.marks[mark] + '”名单中，只能在一个名单中。'); continue; }
          seen.set(id, DATA.marks[mark]);
          if (!isDate(meeting.date)) continue;
          const rule = attendanceRule(mark, meeting.date, kind);
          if (!rule) continue;
          const note = mark === 'leave' && rule.consecutive ? '（连续请假的第二次起按 ' + signed(rule.consecutive) + ' 分计）' : '';
          changes.push({member: id, date: meeting.date, points: rule.fixed !== null ? rule.fixed : rule.max});
          if (note) changes.push({member: id, date: meeting.date, points: null, note});
        }
      }
    });
  }

  function checkObjection(data, c) {
    if (!data.branch) c.error('请选择党支部。');
    if (!data.quarter) c.error('请选择季度。');
    if (!isDate(data.raised_on)) c.error('请填写提出日期。');
    if (!data.details) c.error('请写明异议内容。');
    c.text('异议内容', data.details);
    c.text('处理意见', data.decision);
    if (data.member) {
      const m = member(data.member);
      if (m && data.branch && m.branch !== data.branch) c.error(m.name + '不是' + branchName(data.branch) + '的党员。');
    }
    if (data.outcome && data.outcome !== 'pending' && !isDate(data.decided_on)) c.error('异议处理完毕，请填写处理日期。');
    if (data.outcome === 'upheld' && !data.correction) c.warn('异议成立：请在“扣分登记”或“加分申报”中登记更正，并把更正编号填在这里。');
  }

  /** Every check of a form's entry: {errors, warnings, changes (for the scores)}. */
  function check(form, data) {
    const c = checker();
    const changes = [];
    if (form.kind === 'events' || form.kind === 'additions') checkEvents(data, form, c, changes);
    else if (form.kind === 'meetings') checkMeetings(data, c, changes);
    else checkObjection(data, c);
    return {errors: c.errors, warnings: c.warnings, changes};
  }

  // ---------------------------------------------------------------- the preview pane

  const STYLE = {
    root: {fontFamily: 'system-ui, "Noto Sans CJK SC", "Microsoft YaHei", sans-serif', padding: '0 16px', lineHeight: 1.6, color: '#1f2328'},
    error: {color: '#b42318', margin: '4px 0'},
    warning: {color: '#9a6700', margin: '4px 0'},
    ok: {color: '#1a7f37'},
    table: {borderCollapse: 'collapse', width: '100%', margin: '8px 0'},
    cell: {border: '1px solid #d0d7de', padding: '4px 8px', textAlign: 'left'},
  };

  function table(head, rows) {
    return h('table', {style: STYLE.table},
      h('thead', null, h('tr', null, head.map((text, i) => h('th', {key: i, style: STYLE.cell}, text)))),
      h('tbody', null, rows.map((row, i) => h('tr', {key: i}, row.map((text, j) => h('td', {key: j, style: STYLE.cell}, text))))));
  }

  const Preview = window.createClass({
    getInitialState() {
      return {tick: 0};
    },
    reload() {
      if (this.mounted) this.setState({tick: this.state.tick + 1});
    },
    componentDidMount() {
      this.mounted = true;
    },
    componentWillUnmount() {
      this.mounted = false;
    },
    render() {
      const entry = this.props.entry;
      const form = DATA.forms[entry.get('collection')];
      const data = js(entry.get('data')) || {};
      const c = check(form, data);
      const changes = c.changes;
      const parts = [];
      const title = (DATA.titles[entry.get('collection')] || '') + (data.branch ? ' · ' + branchName(data.branch) : '');
      parts.push(h('h2', {key: 'title'}, title));
      if (form.kind === 'events' || form.kind === 'additions') {
        const rows = (data.events || []).map((e) => [e.date || '', memberName(e.member || ''), e.rule || '',
          typeof e.points === 'number' ? signed(e.points) : '（按规则）', DATA.statuses[e.status || (form.rule_kind === 'addition' ? '' : 'registered')] || '']);
        if (rows.length) parts.push(h('div', {key: 'events'}, table(['日期', '党员', '规则', '分值', '状态'], rows)));
        const fixes = (data.corrections || []).map((r) => [r.date || '', r.member
          ? '更正 ' + (r.corrects || '') + ' 中' + memberName(r.member) + '的考勤'
          : '撤销 ' + (r.corrects || '')]);
        if (fixes.length) parts.push(h('div', {key: 'fixes'}, table(['更正日期', '更正'], fixes)));
      } else if (form.kind === 'meetings') {
        const rows = (data.meetings || []).map((m) => [m.date || '', m.title || '',
          ['absent', 'leave', 'late', 'early'].map((mark) => (m[mark] || []).length ? DATA.marks[mark] + '：' + m[mark].map((id) => (member(id) || {name: id}).name).join('、') : '').filter(Boolean).join('；') || '全体出席']);
        if (rows.length) parts.push(h('div', {key: 'meetings'}, table(['日期', '会议', '考勤'], rows)));
        const fixes = (data.corrections || []).map((r) => [r.date || '', (r.corrects || '') + ' ' +
          memberName(r.member || '') + '：改为' + (r.mark ? (DATA.marks[r.mark] || '出席') : '')]);
        if (fixes.length) parts.push(h('div', {key: 'fixes'}, table(['更正日期', '考勤更正'], fixes)));
      }
      const problems = [];
      c.errors.forEach((text, i) => problems.push(h('p', {key: 'e' + i, style: STYLE.error, className: 'jf-error'}, '✗ ' + text)));
      c.warnings.forEach((text, i) => problems.push(h('p', {key: 'w' + i, style: STYLE.warning, className: 'jf-warning'}, '! ' + text)));
      parts.push(h('h3', {key: 'checks-title'}, '检查'));
      parts.push(h('div', {key: 'checks'}, problems.length ? problems
        : [h('p', {key: 'ok', style: STYLE.ok, className: 'jf-ok'}, '✓ 没有发现问题。保存后，合并请求中的说明（jifen diff）会再次确认。')]));
      if (form.kind !== 'objection') {
        parts.push(h('h3', {key: 'score-title'}, '积分变化'));
        if (!entry.get('newRecord')) {
          parts.push(h('p', {key: 'saved'}, '这是已保存的登记，当前积分已经计入；修改后的变化以合并请求中的说明为准。'));
        } else {
          const lines = consequences(changes, () => this.reload());
          const fixes = (data.corrections || []).length;
          parts.push(h('div', {key: 'scores', className: 'jf-scores'}, lines.length
            ? lines.map((line, i) => h('p', {key: i, className: 'jf-score'}, line.who + '：' + line.text))
            : [h('p', {key: 'none'}, fixes ? '更正撤销的分值和积分的变化，见保存后合并请求中的说明。'
              : '（填写党员、规则和日期后显示）')]));
        }
      }
      return h('div', {style: STYLE.root}, parts);
    },
  });

  // ---------------------------------------------------------------- start

  function notice(text) {
    const box = document.createElement('div');
    box.setAttribute('role', 'alert');
    box.style.cssText = 'max-width:40em;margin:4em auto;padding:1.5em;border:1px solid #d0d7de;' +
      'border-radius:6px;font:16px/1.7 system-ui,sans-serif;background:#fff';
    box.textContent = text;
    document.body.appendChild(box);
  }

  function start(data) {
    DATA = data;
    const local = /^(localhost|127\.0\.0\.1|\[::1\])$/.test(location.hostname);
    if (DATA.local_only && !local) {
      notice('网页登记还没有连接代码托管平台。请党工委办公室按 README“网页表单登记（不用 Git）”一节' +
        '在仓库根目录建立 forms.yaml，重新生成内部版本；没有代码托管平台的，请在办公室电脑上运行 jifen desk。');
      return;
    }
    CMS.registerEventListener({name: 'preSave', handler: preSave});
    registerMemberLabels();
    for (const name of Object.keys(DATA.forms)) CMS.registerPreviewTemplate(name, Preview);
    CMS.init();
  }

  fetch(new URL('jifen.json', BASE), {cache: 'no-store'})
    .then((response) => {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    })
    .then(start)
    .catch((error) => notice('无法读取 jifen.json（' + error.message + '）：请重新生成内部版本（jifen build --internal）。'));
})();
