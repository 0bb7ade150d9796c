// What the schedule (日程) screens share: how an occurrence's time is told and which days it falls
// on, the recurrence builder, the entry form (create, or edit the series at its version), the
// dialogs for one occurrence, the entry's drawer, and the calendar subscription panel.
import { useEffect, useRef, useState } from 'react';
import {
  Alert,
  App,
  Button,
  Checkbox,
  Col,
  DatePicker,
  Descriptions,
  Drawer,
  Form,
  Input,
  InputNumber,
  Modal,
  Radio,
  Row,
  Select,
  Space,
  Spin,
  Switch,
  Tabs,
  Tag,
  Typography,
} from 'antd';
import { CopyOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import dayjs, { type Dayjs } from 'dayjs';
import { useNavigate } from 'react-router';
import { ApiError, call } from '../api/client';
import {
  cancelOccurrence,
  changeScheduleOwner,
  defaultReminders,
  editOccurrence,
  fetchFeed,
  fetchSchedule,
  issueFeed,
  maxReminders,
  reminderChoices,
  revokeFeed,
  schedulePath,
  type CalendarFeedIssued,
  type CalendarSlot,
  type ScheduleCreate,
  type ScheduleEntry,
  type ScheduleOccurrenceRequest,
  type SchedulePatch,
  type ScheduleRelatedKind,
} from '../api/schedules';
import type { TaskRelatedKind } from '../api/tasks';
import { useCommand } from '../components/commands';
import { HistoryView, UserSelect, useUserName } from '../components/common';
import { DeleteButton, FormDialog } from '../components/detail';
import { ErrorState } from '../components/States';
import { useLang, useT, type Lang } from '../i18n';
import { label, scheduleProblem, taskRelatedKind } from '../labels';
import { useSession } from '../session';
import { fmtTime, fromPicker, pickerNow, toPicker, userZone } from '../util';
import { CustomerSelect } from './CustomerSelect';
import {
  defaultRecurrence,
  describeRecurrence,
  describeRRule,
  maxCount,
  maxInterval,
  parseRRule,
  recurrenceProblem,
  toRRule,
  weekdayCodes,
  weekdayLabel,
  type Freq,
  type Recurrence,
  type Weekday,
} from './recurrence';
import { RelatedLink, useReminderLabel } from './taskCommon';

/** The application's zone: all-day entries are dated and recurrences expanded in it (UTC+8). */
export const appZone = 'Asia/Shanghai';

const dateOnly = /^\d{4}-\d{2}-\d{2}$/;

/** The date (YYYY-MM-DD, in the application's zone) an entry or occurrence starts on. */
export function appDate(v: string): string {
  if (dateOnly.test(v)) return v;
  const d = dayjs(v);
  return d.isValid() ? d.tz(appZone).format('YYYY-MM-DD') : '';
}

/** The days (YYYY-MM-DD in the user's zone) an occurrence shows on: an all-day one's dates (end
 * inclusive), a timed one's from its start to the moment before its end. At most 62. */
export function slotDays(s: Pick<CalendarSlot, 'start' | 'end' | 'allDay'>): string[] {
  let first: Dayjs, last: Dayjs;
  if (s.allDay || dateOnly.test(s.start)) {
    first = dayjs(s.start);
    last = dayjs(s.end);
  } else {
    const start = dayjs(s.start).tz(userZone());
    const end = dayjs(s.end).tz(userZone());
    first = dayjs(start.format('YYYY-MM-DD'));
    last = dayjs((end.isAfter(start) ? end.subtract(1, 'millisecond') : start).format('YYYY-MM-DD'));
  }
  if (!first.isValid() || !last.isValid()) return [];
  const out: string[] = [];
  for (let d = first; !d.isAfter(last) && out.length < 62; d = d.add(1, 'day')) out.push(d.format('YYYY-MM-DD'));
  return out;
}

/** Occurrences by day (all-day ones first, then by start). */
export function slotsByDay<T extends CalendarSlot>(slots: T[]): Map<string, T[]> {
  const by = new Map<string, T[]>();
  for (const s of slots) for (const d of slotDays(s)) by.set(d, [...(by.get(d) ?? []), s]);
  const key = (s: T) => (s.allDay ? '0' : '1' + dayjs(s.start).toISOString());
  for (const list of by.values()) list.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return by;
}

const clock = (v: string) => dayjs(v).tz(userZone()).format('HH:mm');

/** An occurrence's time on one of its days: 09:00, 09:00–10:00, 全天, or …–18:00 when it began before that day. */
export function slotTime(s: Pick<CalendarSlot, 'start' | 'end' | 'allDay'>, day: string, lang: Lang, range = false): string {
  if (s.allDay || dateOnly.test(s.start)) return lang === 'en' ? 'All day' : '全天';
  const startDay = dayjs(s.start).tz(userZone()).format('YYYY-MM-DD');
  const endDay = dayjs(s.end).tz(userZone()).format('YYYY-MM-DD');
  const from = startDay === day ? clock(s.start) : '…';
  if (!range) return from;
  return `${from}–${endDay === day ? clock(s.end) : '…'}`;
}

/** When an entry or occurrence takes place: 2026-12-07 09:00 – 10:00, or 2026-12-07 – 2026-12-08 (全天). */
export function fmtWhen(start: string, end: string, allDay: boolean, lang: Lang): string {
  if (allDay || dateOnly.test(start)) {
    const all = lang === 'en' ? '(all day)' : '（全天）';
    return (start === end ? start : `${start} – ${end}`) + ' ' + all;
  }
  const a = fmtTime(start);
  const b = fmtTime(end);
  return a.slice(0, 10) === b.slice(0, 10) ? `${a} – ${b.slice(11)}` : `${a} – ${b}`;
}

/** "提前 15 分钟" / "15 min before"; 0 is the start itself. */
export function useScheduleReminderLabel() {
  const t = useT();
  const reminderLabel = useReminderLabel();
  return (m: number) => (m === 0 ? t('开始时', 'At the start') : t(`提前 ${reminderLabel(m)}`, `${reminderLabel(m)} before`));
}

/** Runs a schedule command; a refusal the screens know (not_editor, no_occurrence) is told in the page's language. */
export function useScheduleCommand() {
  const run = useCommand();
  const t = useT();
  return <T,>(fn: () => Promise<T>, o: Parameters<typeof run>[1] = {}) =>
    run(async () => {
      try {
        return await fn();
      } catch (e) {
        if (e instanceof ApiError && scheduleProblem[e.code] && !(e.problem?.errors ?? []).length) e.message = t(...scheduleProblem[e.code]);
        throw e;
      }
    }, o);
}

/** Whether the user may edit, move and delete the entry: its owner and its creator. */
export const isEditor = (e: Pick<ScheduleEntry, 'ownerId' | 'creatorId'>, me: string) => e.ownerId === me || e.creatorId === me;

const freqs: { value: Freq; zh: string; en: string }[] = [
  { value: '', zh: '不重复', en: 'Does not repeat' },
  { value: 'DAILY', zh: '每天', en: 'Daily' },
  { value: 'WEEKLY', zh: '每周', en: 'Weekly' },
  { value: 'MONTHLY', zh: '每月', en: 'Monthly' },
  { value: 'YEARLY', zh: '每年', en: 'Yearly' },
];
const unit: Record<Exclude<Freq, ''>, [string, string]> = { DAILY: ['天', 'days'], WEEKLY: ['周', 'weeks'], MONTHLY: ['个月', 'months'], YEARLY: ['年', 'years'] };

/**
 * The recurrence builder: none, daily, weekly on days, monthly on a day or on the Nth weekday,
 * yearly; every N; ending never, after N times or on a date. start is the series' first date (the
 * choices a frequency starts from). Shows the rule in words under it.
 */
export function RecurrenceEditor({ value, onChange, start, disabled }: { value?: Recurrence; onChange?: (r: Recurrence) => void; start?: string; disabled?: boolean }) {
  const t = useT();
  const { lang } = useLang();
  const r = value ?? defaultRecurrence(start);
  const set = (p: Partial<Recurrence>) => onChange?.({ ...r, ...p });
  const nthOptions = [1, 2, 3, 4, -1].map((n) => ({ value: n, label: n === -1 ? t('最后一个', 'last') : t(`第 ${n} 个`, ['1st', '2nd', '3rd', '4th'][n - 1]) }));
  const dayOptions = weekdayCodes.map((d) => ({ value: d, label: lang === 'en' ? weekdayLabel(d, lang) : `周${weekdayLabel(d, lang)}` }));
  const summary = describeRecurrence(r, lang, start);
  return (
    <div data-testid="recurrence-editor" style={{ display: 'flex', flexDirection: 'column', gap: 8 }}>
      <Space wrap>
        <Select<Freq>
          aria-label={t('重复频率', 'Frequency')}
          data-testid="recurrence-freq"
          disabled={disabled}
          value={r.freq}
          style={{ width: 140 }}
          options={freqs.map((f) => ({ value: f.value, label: lang === 'en' ? f.en : f.zh }))}
          // a first choice of frequency starts from the start date's day, weekday and place in the month
          onChange={(freq) => onChange?.(r.freq ? { ...r, freq } : { ...defaultRecurrence(start), freq, end: r.end, count: r.count, until: r.until })}
        />
        {r.freq && (
          <Space size={4}>
            <span>{t('每', 'Every')}</span>
            <InputNumber
              aria-label={t('间隔', 'Interval')}
              data-testid="recurrence-interval"
              disabled={disabled}
              min={1}
              max={maxInterval}
              precision={0}
              value={r.interval}
              onChange={(v) => set({ interval: Number(v ?? 1) })}
              style={{ width: 72 }}
            />
            <span>{t(unit[r.freq][0], unit[r.freq][1])}</span>
          </Space>
        )}
      </Space>
      {r.freq === 'WEEKLY' && (
        <Checkbox.Group
          aria-label={t('每周的哪几天', 'Days of the week')}
          data-testid="recurrence-days"
          disabled={disabled}
          value={r.days}
          onChange={(v) => set({ days: weekdayCodes.filter((d) => (v as Weekday[]).includes(d)) })}
          options={dayOptions}
        />
      )}
      {r.freq === 'MONTHLY' && (
        <Radio.Group value={r.monthly} disabled={disabled} onChange={(e) => set({ monthly: e.target.value })} data-testid="recurrence-monthly">
          <Space orientation="vertical">
            <Radio value="day">
              <Space size={4} wrap>
                <span>{t('按日期：每月', 'On day')}</span>
                <Select<number>
                  aria-label={t('每月的哪一天', 'Day of the month')}
                  data-testid="recurrence-monthday"
                  disabled={disabled || r.monthly !== 'day'}
                  value={r.monthDay}
                  style={{ width: 110 }}
                  onChange={(monthDay) => set({ monthDay })}
                  options={[...Array.from({ length: 31 }, (_, i) => ({ value: i + 1, label: t(`${i + 1} 日`, String(i + 1)) })), { value: -1, label: t('最后一天', 'last day') }]}
                />
              </Space>
            </Radio>
            <Radio value="nth">
              <Space size={4} wrap>
                <span>{t('按星期：每月', 'On the')}</span>
                <Select<number>
                  aria-label={t('第几个', 'Which one')}
                  data-testid="recurrence-nth"
                  disabled={disabled || r.monthly !== 'nth'}
                  value={r.nth}
                  style={{ width: 100 }}
                  onChange={(nth) => set({ nth })}
                  options={nthOptions}
                />
                <Select<Weekday>
                  aria-label={t('星期几', 'Weekday')}
                  data-testid="recurrence-nthday"
                  disabled={disabled || r.monthly !== 'nth'}
                  value={r.nthDay}
                  style={{ width: 100 }}
                  onChange={(nthDay) => set({ nthDay })}
                  options={dayOptions}
                />
              </Space>
            </Radio>
          </Space>
        </Radio.Group>
      )}
      {r.freq && (
        <Radio.Group value={r.end} disabled={disabled} onChange={(e) => set({ end: e.target.value })} data-testid="recurrence-end">
          <Space wrap>
            <Radio value="never">{t('永不结束', 'Never ends')}</Radio>
            <Radio value="count">
              <Space size={4}>
                <span>{t('重复', 'After')}</span>
                <InputNumber
                  aria-label={t('重复次数', 'Number of times')}
                  data-testid="recurrence-count"
                  disabled={disabled || r.end !== 'count'}
                  min={1}
                  max={maxCount}
                  precision={0}
                  value={r.count}
                  onChange={(v) => set({ count: Number(v ?? 1) })}
                  style={{ width: 80 }}
                />
                <span>{t('次', 'times')}</span>
              </Space>
            </Radio>
            <Radio value="until">
              <Space size={4}>
                <span>{t('直到', 'Until')}</span>
                <DatePicker
                  aria-label={t('结束日期', 'Last date')}
                  data-testid="recurrence-until"
                  disabled={disabled || r.end !== 'until'}
                  value={r.until ? dayjs(r.until) : null}
                  onChange={(d) => set({ until: d ? d.format('YYYY-MM-DD') : '' })}
                />
              </Space>
            </Radio>
          </Space>
        </Radio.Group>
      )}
      {summary && (
        <Typography.Text type="secondary" data-testid="recurrence-summary">
          {summary}
        </Typography.Text>
      )}
    </div>
  );
}

/** What the form starts a new entry with (a day of the calendar: 09:00–10:00 that day). */
export interface ScheduleDefaults {
  date?: string;
}

interface Values {
  title: string;
  allDay: boolean;
  start?: Dayjs | null;
  end?: Dayjs | null;
  location?: string;
  description?: string;
  relatedKind?: TaskRelatedKind;
  relatedId?: string;
  participants?: string[];
  reminders?: number[];
  ownerId?: string;
  recurrence?: Recurrence;
}

/** A picker's value as the API takes it: a date for an all-day entry, else an instant. */
const wire = (d: Dayjs | null | undefined, allDay: boolean): string => (!d || !d.isValid() ? '' : allDay ? d.format('YYYY-MM-DD') : (fromPicker(d) ?? ''));
/** An entry's start or end for a picker. */
const picker = (v: string, allDay: boolean): Dayjs | null => (allDay ? (dayjs(v).isValid() ? dayjs(v) : null) : toPicker(v));
/** An instant or a date the way the form compares them. */
const norm = (v: string, allDay: boolean) => (allDay || !v ? v : new Date(v).toISOString());

/**
 * Creates an entry (in the user's calendar, or — with schedules.assign — in another's; only what
 * was filled in is sent) or edits one (PATCH of the changed fields at its version; a 412 opens the
 * conflict dialog). Server field errors land on their fields.
 */
export function ScheduleForm({
  open,
  entry,
  defaults,
  onClose,
  onSaved,
}: {
  open: boolean;
  entry?: ScheduleEntry | null;
  defaults?: ScheduleDefaults;
  onClose: () => void;
  onSaved?: (id: string) => void;
}) {
  const t = useT();
  const { lang } = useLang();
  const s = useSession();
  const run = useScheduleCommand();
  const reminderLabel = useScheduleReminderLabel();
  const [form] = Form.useForm<Values>();
  const [busy, setBusy] = useState(false);
  const editing = !!entry;
  const me = s.user.id;
  const mayAssign = s.isAdmin || s.can('schedules.assign');
  const kind = (Form.useWatch('relatedKind', form) ?? '') as TaskRelatedKind;
  const allDay = !!Form.useWatch('allDay', form);
  const startValue = Form.useWatch('start', form) as Dayjs | null | undefined;
  const startDate = startValue && startValue.isValid() ? appDate(wire(startValue, allDay)) : undefined;
  const entryStart = entry ? appDate(entry.start) : undefined;
  const original = entry ? parseRRule(entry.recurrence, entryStart) : null;
  const unreadable = !!entry?.recurrence && !original;
  // the start and end the form last had: moving the start moves the end with it
  const last = useRef<{ start?: Dayjs | null; end?: Dayjs | null }>({});

  useEffect(() => {
    if (!open) return;
    form.resetFields();
    let v: Partial<Values>;
    if (entry)
      v = {
        title: entry.title,
        allDay: entry.allDay,
        start: picker(entry.start, entry.allDay),
        end: picker(entry.end, entry.allDay),
        location: entry.location ?? '',
        description: entry.description ?? '',
        relatedKind: (entry.relatedKind || undefined) as TaskRelatedKind | undefined,
        relatedId: entry.relatedId ?? undefined,
        participants: entry.participants ?? [],
        reminders: entry.reminders ?? [],
        recurrence: parseRRule(entry.recurrence, appDate(entry.start)) ?? defaultRecurrence(appDate(entry.start)),
      };
    else {
      const start = defaults?.date ? dayjs(defaults.date).hour(9) : pickerNow().add(1, 'hour').startOf('hour');
      v = { allDay: false, start, end: start.add(1, 'hour'), ownerId: me, participants: [], reminders: defaultReminders, recurrence: defaultRecurrence(appDate(wire(start, false))) };
    }
    form.setFieldsValue(v);
    last.current = { start: v.start, end: v.end };
  }, [open, entry, defaults?.date, me, form]);

  const onValuesChange = (changed: Partial<Values>, all: Values) => {
    const was = last.current;
    if ('start' in changed && changed.start && was.start && was.end && all.end) {
      // keep the length: the end moves with the start
      const end = changed.start.add(was.end.diff(was.start), 'millisecond');
      form.setFieldsValue({ end });
      last.current = { start: changed.start, end };
      return;
    }
    if ('allDay' in changed && !changed.allDay && all.start && all.end && all.start.hour() === 0 && all.start.minute() === 0) {
      // from whole days to times: 09:00–10:00 rather than midnight
      const start = all.start.hour(9).minute(0);
      const end = all.end.isSame(all.start, 'day') ? start.add(1, 'hour') : all.end.hour(10).minute(0);
      form.setFieldsValue({ start, end });
      last.current = { start, end };
      return;
    }
    last.current = { start: all.start, end: all.end };
  };

  const save = async (v: Values) => {
    setBusy(true);
    try {
      const relKind = (v.relatedKind ?? '') as ScheduleRelatedKind;
      const relId = relKind ? (v.relatedId ?? '').trim() : '';
      const start = wire(v.start, v.allDay);
      const end = wire(v.end, v.allDay);
      const rule = v.recurrence ? toRRule(v.recurrence) : '';
      const reminders = [...(v.reminders ?? [])].sort((a, b) => a - b);
      if (entry) {
        const changed: SchedulePatch = {};
        if (v.title.trim() !== entry.title) changed.title = v.title.trim();
        if ((v.description ?? '').trim() !== (entry.description ?? '')) changed.description = (v.description ?? '').trim();
        if ((v.location ?? '').trim() !== (entry.location ?? '')) changed.location = (v.location ?? '').trim();
        // the timing is one change: its kind with its start and end
        if (v.allDay !== entry.allDay || norm(start, v.allDay) !== norm(entry.start, entry.allDay) || norm(end, v.allDay) !== norm(entry.end, entry.allDay))
          Object.assign(changed, { allDay: v.allDay, start, end });
        if (!unreadable && JSON.stringify(v.recurrence) !== JSON.stringify(original)) changed.recurrence = rule;
        // the record an entry is about is its kind and id together
        if (relKind !== (entry.relatedKind ?? '') || (relId || null) !== (entry.relatedId || null)) Object.assign(changed, { relatedKind: relKind, relatedId: relId || null });
        const parts = [...(v.participants ?? [])].sort();
        if (JSON.stringify(parts) !== JSON.stringify([...(entry.participants ?? [])].sort())) changed.participants = v.participants ?? [];
        if (JSON.stringify(reminders) !== JSON.stringify([...(entry.reminders ?? [])].sort((a, b) => a - b))) changed.reminders = reminders;
        if (Object.keys(changed).length === 0) {
          onClose();
          return;
        }
        const r = await run(() => call<ScheduleEntry>('PATCH', schedulePath(entry.id), { body: changed, ifMatch: entry.version }), {
          form,
          success: t('已保存', 'Saved'),
          historyPath: `${schedulePath(entry.id)}/history`,
          reload: onClose,
        });
        if (r !== undefined) {
          if (onSaved) onSaved(entry.id);
          else onClose();
        }
      } else {
        const body: ScheduleCreate = { title: v.title.trim(), start, end };
        if (v.allDay) body.allDay = true;
        if ((v.location ?? '').trim()) body.location = v.location!.trim();
        if ((v.description ?? '').trim()) body.description = v.description!.trim();
        if (rule) body.recurrence = rule;
        if (relKind && relId) {
          body.relatedKind = relKind;
          body.relatedId = relId;
        }
        if (v.participants?.length) body.participants = v.participants;
        body.reminders = reminders;
        if (v.ownerId && v.ownerId !== me) body.ownerId = v.ownerId;
        const r = await run(() => call<ScheduleEntry>('POST', '/schedules', { body }), { form, success: t('日程已创建', 'Entry created') });
        if (r) {
          if (onSaved) onSaved(r.data.id);
          else onClose();
        }
      }
    } catch {
      /* shown on the fields or as a message */
    } finally {
      setBusy(false);
    }
  };

  const kinds = Object.keys(taskRelatedKind).map((k) => ({ value: k, label: label(taskRelatedKind, k, lang) }));
  const prefilled = entry && entry.relatedKind === kind && entry.relatedId ? { id: entry.relatedId, name: entry.relatedName } : undefined;
  const timing = entry && ((entry.cancelled ?? []).length > 0 || Object.keys(entry.overrides ?? {}).length > 0);
  const pickerProps = allDay ? { format: 'YYYY-MM-DD' } : { showTime: { format: 'HH:mm' }, format: 'YYYY-MM-DD HH:mm' };
  return (
    <Modal
      open={open}
      title={editing ? t('编辑日程', 'Edit entry') : t('新建日程', 'New entry')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('保存', 'Save')}
      cancelText={t('取消', 'Cancel')}
      okButtonProps={{ loading: busy }}
      width={760}
      destroyOnHidden
      forceRender
    >
      <Form form={form} name={editing ? 'scheduleEdit' : 'scheduleNew'} layout="vertical" onFinish={save} onValuesChange={onValuesChange} data-testid="schedule-form">
        <Form.Item name="title" label={t('主题', 'Title')} rules={[{ required: true, whitespace: true, message: t('请输入主题', 'A title is required') }, { max: 200 }]}>
          <Input autoFocus />
        </Form.Item>
        <Row gutter={12}>
          <Col xs={24} sm={4}>
            <Form.Item name="allDay" label={t('全天', 'All day')} valuePropName="checked">
              <Switch />
            </Form.Item>
          </Col>
          <Col xs={12} sm={10}>
            <Form.Item name="start" label={t('开始', 'Starts')} rules={[{ required: true, message: t('请选择开始时间', 'Choose the start') }]}>
              <DatePicker {...pickerProps} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col xs={12} sm={10}>
            <Form.Item
              name="end"
              label={t('结束', 'Ends')}
              dependencies={['start', 'allDay']}
              rules={[
                { required: true, message: t('请选择结束时间', 'Choose the end') },
                ({ getFieldValue }) => ({
                  validator: (_, e: Dayjs | null) => {
                    const st = getFieldValue('start') as Dayjs | null;
                    if (!e || !st) return Promise.resolve();
                    const before = getFieldValue('allDay') ? e.isBefore(st, 'day') : e.isBefore(st);
                    return before ? Promise.reject(new Error(t('结束不能早于开始', 'The end may not precede the start'))) : Promise.resolve();
                  },
                }),
              ]}
            >
              <DatePicker {...pickerProps} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item
          name="recurrence"
          label={t('重复', 'Repeats')}
          dependencies={['start', 'allDay']}
          extra={timing ? t('修改时间或重复规则会清除已单独修改和已取消的各次日程。', 'Changing the times or the recurrence drops the occurrences edited or cancelled one by one.') : undefined}
          rules={[
            {
              validator: (_, r?: Recurrence) => {
                const p = r ? recurrenceProblem(r, startDate) : null;
                return p ? Promise.reject(new Error(t(...p))) : Promise.resolve();
              },
            },
          ]}
        >
          <RecurrenceEditor start={startDate} disabled={unreadable} />
        </Form.Item>
        {unreadable && <Alert type="info" showIcon style={{ marginBottom: 12 }} title={t(`重复规则 ${entry!.recurrence} 无法在此修改`, `The rule ${entry!.recurrence} cannot be changed here`)} />}
        <Form.Item name="location" label={t('地点', 'Location')} rules={[{ max: 200 }]}>
          <Input />
        </Form.Item>
        <Form.Item name="description" label={t('描述', 'Description')} rules={[{ max: 5000 }]}>
          <Input.TextArea rows={3} />
        </Form.Item>
        <Row gutter={12}>
          {!editing && (
            <Col xs={24} sm={12}>
              <Form.Item
                name="ownerId"
                label={t('负责人', 'Owner')}
                extra={mayAssign ? t('放入谁的日程', 'Whose calendar it goes in') : t('只能放入自己的日程', 'Goes in your own calendar')}
                rules={[{ required: true, message: t('请选择负责人', 'Choose an owner') }]}
              >
                <UserSelect activeOnly allowClear={false} disabled={!mayAssign} />
              </Form.Item>
            </Col>
          )}
          <Col xs={24} sm={editing ? 24 : 12}>
            <Form.Item name="participants" label={t('参与人', 'Participants')} rules={[{ type: 'array', max: 50 }]}>
              <UserSelect mode="multiple" activeOnly />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item
          name="reminders"
          label={t('提醒', 'Reminders')}
          extra={t('每次开始前提醒负责人和参与人（全天日程以当天 0 点为准）', 'Reminds the owner and the participants before each occurrence (an all-day one: before 00:00)')}
        >
          <Select mode="multiple" allowClear maxCount={maxReminders} options={reminderChoices.map((m) => ({ value: m, label: reminderLabel(m) }))} />
        </Form.Item>
        <Row gutter={12}>
          <Col xs={24} sm={8}>
            <Form.Item name="relatedKind" label={t('关联类型', 'Related to')}>
              <Select allowClear options={kinds} onChange={() => form.setFieldsValue({ relatedId: undefined })} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={16}>
            <Form.Item
              name="relatedId"
              label={t('关联记录', 'Related record')}
              extra={prefilled?.name && kind !== 'customer' ? prefilled.name : undefined}
              rules={kind ? [{ required: true, whitespace: true, message: t('请选择关联记录', 'Choose the record') }] : []}
            >
              {kind === 'customer' ? (
                <CustomerSelect current={prefilled?.name ? { id: prefilled.id, name: prefilled.name } : undefined} />
              ) : (
                <Input disabled={!kind} placeholder={kind ? t('记录编号（ID）', 'The record’s id') : t('先选择关联类型', 'Choose a kind first')} />
              )}
            </Form.Item>
          </Col>
        </Row>
        <button type="submit" hidden />
      </Form>
    </Modal>
  );
}

/** The occurrence the drawer was opened on (from the calendar). */
export type Occurrence = Pick<CalendarSlot, 'occurrence' | 'start' | 'end' | 'allDay' | 'title' | 'location' | 'edited'>;

/** Edits one occurrence of a series: its own start and end (of the series' kind), title and location
 * (sent only where they differ from the series', so that a later change of the series reaches them). */
function OccurrenceDialog({ entry, occ, open, onClose }: { entry: ScheduleEntry; occ: Occurrence; open: boolean; onClose: () => void }) {
  const t = useT();
  const run = useScheduleCommand();
  const pickerProps = entry.allDay ? { format: 'YYYY-MM-DD' } : { showTime: { format: 'HH:mm' }, format: 'YYYY-MM-DD HH:mm' };
  return (
    <FormDialog
      open={open}
      title={t('仅修改此次日程', 'Edit this occurrence')}
      okText={t('保存', 'Save')}
      onClose={onClose}
      testId="occurrence-form"
      name="occurrence"
      width={560}
      submit={(v, form) => {
        const body: ScheduleOccurrenceRequest = {
          occurrence: occ.occurrence,
          start: wire(v.start as Dayjs, entry.allDay),
          end: wire(v.end as Dayjs, entry.allDay),
        };
        const title = String(v.title ?? '').trim();
        const location = String(v.location ?? '').trim();
        if (title !== entry.title) body.title = title;
        if (location !== (entry.location ?? '')) body.location = location;
        return run(() => editOccurrence(entry.id, body, entry.version), {
          form,
          success: t('已修改此次日程', 'The occurrence is changed'),
          historyPath: `${schedulePath(entry.id)}/history`,
          reload: onClose,
        });
      }}
    >
      <Typography.Paragraph type="secondary">{t('只改变这一次，系列中的其他日程不变。', 'Only this occurrence changes; the rest of the series stays.')}</Typography.Paragraph>
      <Row gutter={12}>
        <Col span={12}>
          <Form.Item name="start" label={t('开始', 'Starts')} initialValue={picker(occ.start, entry.allDay)} rules={[{ required: true, message: t('请选择开始时间', 'Choose the start') }]}>
            <DatePicker {...pickerProps} style={{ width: '100%' }} />
          </Form.Item>
        </Col>
        <Col span={12}>
          <Form.Item name="end" label={t('结束', 'Ends')} initialValue={picker(occ.end, entry.allDay)} rules={[{ required: true, message: t('请选择结束时间', 'Choose the end') }]}>
            <DatePicker {...pickerProps} style={{ width: '100%' }} />
          </Form.Item>
        </Col>
      </Row>
      <Form.Item name="title" label={t('主题', 'Title')} initialValue={occ.title} rules={[{ required: true, whitespace: true, message: t('请输入主题', 'A title is required') }, { max: 200 }]}>
        <Input />
      </Form.Item>
      <Form.Item name="location" label={t('地点', 'Location')} initialValue={occ.location} rules={[{ max: 200 }]}>
        <Input />
      </Form.Item>
    </FormDialog>
  );
}

type Dialog = null | 'edit' | 'occurrence' | 'owner';

/**
 * An entry in a drawer: when and where, what it is about, whose it is, who takes part, how it
 * repeats; its owner and creator edit the series, edit or cancel the occurrence it was opened on,
 * move it to another calendar and delete it. History in a tab.
 */
export function ScheduleDrawer({ id, occurrence, onClose, after }: { id: string | null; occurrence?: Occurrence | null; onClose: () => void; after: string }) {
  const t = useT();
  const { lang } = useLang();
  const s = useSession();
  const run = useScheduleCommand();
  const { modal } = App.useApp();
  const userName = useUserName();
  const reminderLabel = useScheduleReminderLabel();
  const [dialog, setDialog] = useState<Dialog>(null);
  const q = useQuery({ queryKey: ['/schedules', id], queryFn: () => fetchSchedule(id!), enabled: !!id });
  const e = q.data;
  const me = s.user.id;
  const editor = !!e && isEditor(e, me);
  const occ = e && e.recurrence && occurrence ? occurrence : null;
  const close = () => setDialog(null);
  const history = id ? `${schedulePath(id)}/history` : '';
  const nameOf = (u: string) => (e && u === e.ownerId && e.ownerName) || (e && u === e.creatorId && e.creatorName) || userName(u);

  const cancelOne = () =>
    modal.confirm({
      title: t('取消此次日程', 'Cancel this occurrence'),
      content: t(`${fmtWhen(occ!.start, occ!.end, occ!.allDay, lang)} 的这次日程将从日历中移除，系列中的其他日程不变。`, `The occurrence of ${fmtWhen(occ!.start, occ!.end, occ!.allDay, lang)} leaves the calendar; the rest of the series stays.`),
      okText: t('取消此次', 'Cancel it'),
      cancelText: t('返回', 'Back'),
      okButtonProps: { danger: true },
      onOk: () =>
        run(() => cancelOccurrence(e!.id, occ!.occurrence, e!.version), { success: t('已取消此次日程', 'The occurrence is cancelled'), historyPath: history })
          .then((r) => {
            if (r !== undefined) onClose();
          })
          .catch(() => undefined),
    });

  let body: React.ReactNode;
  if (q.isLoading) body = <Spin style={{ display: 'block', margin: 48 }} />;
  else if (q.error || !e) body = <ErrorState error={q.error} retry={() => void q.refetch()} />;
  else {
    const start = appDate(e.start);
    const rows: [string, React.ReactNode][] = [
      [occ ? t('本次时间', 'This occurrence') : t('时间', 'When'), occ ? fmtWhen(occ.start, occ.end, occ.allDay, lang) : fmtWhen(e.start, e.end, e.allDay, lang)],
      [t('重复', 'Repeats'), e.recurrence ? describeRRule(e.recurrence, lang, start) : t('不重复', 'Does not repeat')],
      ...(e.recurrence ? ([[t('首次', 'First'), fmtWhen(e.start, e.end, e.allDay, lang)], [t('系列结束', 'Series ends'), e.seriesEnd ? fmtTime(e.seriesEnd) : t('永不结束', 'Never')]] as [string, React.ReactNode][]) : []),
      [t('地点', 'Location'), occ ? occ.location : e.location],
      [t('关联记录', 'Related to'), e.relatedKind && e.relatedId ? <RelatedLink task={{ relatedKind: e.relatedKind as TaskRelatedKind, relatedId: e.relatedId, relatedName: e.relatedName }} /> : ''],
      [t('负责人', 'Owner'), e.ownerName || userName(e.ownerId)],
      [t('创建人', 'Creator'), e.creatorName || userName(e.creatorId)],
      [t('参与人', 'Participants'), (e.participants ?? []).map(nameOf).join('、')],
      [t('提醒', 'Reminders'), [...(e.reminders ?? [])].sort((a, b) => a - b).map(reminderLabel).join('、')],
      ...(e.recurrence && ((e.cancelled ?? []).length || Object.keys(e.overrides ?? {}).length)
        ? ([[t('例外', 'Exceptions'), t(`已取消 ${(e.cancelled ?? []).length} 次，单独修改 ${Object.keys(e.overrides ?? {}).length} 次`, `${(e.cancelled ?? []).length} cancelled, ${Object.keys(e.overrides ?? {}).length} edited`)]] as [string, React.ReactNode][])
        : []),
      [t('更新时间', 'Updated'), fmtTime(e.updatedAt)],
    ];
    body = (
      <>
        <Space wrap style={{ marginBottom: 12 }}>
          {e.allDay && <Tag color="blue">{t('全天', 'All day')}</Tag>}
          {e.recurrence && <Tag color="geekblue">{t('重复', 'Repeats')}</Tag>}
          {occ?.edited && <Tag color="gold">{t('此次已单独修改', 'This one edited')}</Tag>}
        </Space>
        {editor && (
          <Space wrap style={{ marginBottom: 12 }} data-testid="schedule-actions">
            <Button type="primary" onClick={() => setDialog('edit')} data-testid="schedule-edit">
              {e.recurrence ? t('编辑系列', 'Edit the series') : t('编辑', 'Edit')}
            </Button>
            {occ && (
              <Button onClick={() => setDialog('occurrence')} data-testid="occurrence-edit">
                {t('仅修改此次', 'Edit this one')}
              </Button>
            )}
            {occ && (
              <Button danger onClick={cancelOne} data-testid="occurrence-cancel">
                {t('取消此次', 'Cancel this one')}
              </Button>
            )}
            <Button onClick={() => setDialog('owner')} data-testid="schedule-owner">
              {t('更换负责人', 'Change owner')}
            </Button>
            <DeleteButton
              path={schedulePath(e.id)}
              version={e.version}
              title={t('删除日程', 'Delete the entry')}
              content={e.recurrence ? t('整个系列将从所有日历中移除，历史仍保留。', 'The whole series leaves every calendar; its history stays.') : t('日程将从所有日历中移除，历史仍保留。', 'It leaves every calendar; its history stays.')}
              after={after}
              testId="schedule-delete"
            />
          </Space>
        )}
        <Tabs
          items={[
            {
              key: 'details',
              label: t('详情', 'Details'),
              children: (
                <>
                  <Descriptions
                    size="small"
                    column={1}
                    data-testid="schedule-fields"
                    items={rows.map(([l, v], i) => ({ key: String(i), label: l, children: v === '' || v === undefined || v === null ? '—' : v }))}
                  />
                  {e.description && (
                    <Typography.Paragraph style={{ marginTop: 12, marginBottom: 0, whiteSpace: 'pre-wrap' }} data-testid="schedule-description">
                      {e.description}
                    </Typography.Paragraph>
                  )}
                </>
              ),
            },
            { key: 'history', label: t('历史', 'History'), children: <HistoryView path={history} /> },
          ]}
        />
        {dialog === 'edit' && <ScheduleForm open entry={e} onClose={close} />}
        {occ && <OccurrenceDialog entry={e} occ={occ} open={dialog === 'occurrence'} onClose={close} />}
        <FormDialog
          open={dialog === 'owner'}
          title={t('更换负责人', 'Change the owner')}
          okText={t('确定', 'OK')}
          onClose={close}
          testId="owner-form"
          name="owner"
          submit={(v, form) =>
            run(() => changeScheduleOwner(e.id, String(v.ownerId), e.version), { form, success: t('已更换负责人', 'Moved'), historyPath: history, reload: close })
          }
        >
          <Form.Item
            name="ownerId"
            label={t('负责人', 'Owner')}
            initialValue={e.ownerId ?? undefined}
            rules={[{ required: true, message: t('请选择负责人', 'Choose an owner') }]}
            extra={s.isAdmin || s.can('schedules.assign') ? t('日程将移入此人的日历', 'The entry moves to their calendar') : t('您没有安排他人日程的权限，只能移入自己的日历', 'Without schedules.assign you may move it to your own calendar only')}
          >
            {s.isAdmin || s.can('schedules.assign') ? <UserSelect activeOnly /> : <UserSelect activeOnly options={[{ value: me, label: s.user.displayName }]} />}
          </Form.Item>
        </FormDialog>
      </>
    );
  }
  return (
    <Drawer
      open={!!id}
      onClose={onClose}
      size={560}
      title={<span data-testid="schedule-drawer-title">{e ? (occ?.title ?? e.title) : t('日程', 'Entry')}</span>}
      destroyOnHidden
      data-testid="schedule-drawer"
    >
      {body}
    </Drawer>
  );
}

/** The full address of the feed: the server's origin and the path the server gave. */
export const feedUrl = (issued: CalendarFeedIssued) => window.location.origin + issued.path;

/**
 * The calendar subscription (订阅日历): whether the feed is on; a new link (shown once, with a copy
 * button and how to subscribe from Outlook, Apple and Google calendars; a new one stops the old);
 * turning the feed off.
 */
export function FeedPanel({ open, onClose }: { open: boolean; onClose: () => void }) {
  const t = useT();
  const run = useCommand();
  const { modal, message } = App.useApp();
  const q = useQuery({ queryKey: ['/calendar/feed'], queryFn: fetchFeed, enabled: open });
  const [issued, setIssued] = useState<CalendarFeedIssued | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!open) setIssued(null);
  }, [open]);
  const active = !!q.data?.active;

  const issue = async () => {
    setBusy(true);
    try {
      const r = await run(() => issueFeed(), { success: t('已生成订阅链接', 'The link is ready') });
      if (r) setIssued(r.data);
    } catch {
      /* reported */
    } finally {
      setBusy(false);
    }
  };
  const askIssue = () => {
    if (!active && !issued) return void issue();
    modal.confirm({
      title: t('重新生成订阅链接？', 'Make a new link?'),
      content: t('旧链接将立即失效，已用旧链接订阅的日历将不再更新，需要用新链接重新订阅。', 'The old link stops working at once: calendars subscribed with it stop updating and must subscribe again with the new one.'),
      okText: t('重新生成', 'Make a new link'),
      cancelText: t('取消', 'Cancel'),
      okButtonProps: { danger: true },
      onOk: issue,
    });
  };
  const askRevoke = () =>
    modal.confirm({
      title: t('关闭日历订阅？', 'Turn the subscription off?'),
      content: t('订阅链接将失效，已订阅的日历不再更新。', 'The link stops working; subscribed calendars stop updating.'),
      okText: t('关闭订阅', 'Turn off'),
      cancelText: t('取消', 'Cancel'),
      okButtonProps: { danger: true },
      onOk: () =>
        run(() => revokeFeed(), { success: t('已关闭日历订阅', 'The subscription is off') })
          .then(() => setIssued(null))
          .catch(() => undefined),
    });
  const url = issued ? feedUrl(issued) : '';
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(url);
      message.success(t('已复制', 'Copied'));
    } catch {
      message.info(t('请选中链接后手动复制', 'Select the link and copy it'));
    }
  };

  return (
    <Modal open={open} onCancel={onClose} footer={null} title={t('订阅日历', 'Subscribe to the calendar')} width={620} destroyOnHidden>
      <div data-testid="feed-panel">
        <Typography.Paragraph>
          {t(
            '用 Outlook、Apple 日历或 Google 日历订阅你的日程：你负责和参与的日程（过去 90 天到未来一年）以及有截止时间的未完成任务会出现在其中，并随 CRM 中的修改自动更新。',
            'Subscribe to your schedule from Outlook, Apple Calendar or Google Calendar: the entries you own or take part in (90 days back to a year ahead) and your open tasks with a due time show there, and follow the changes made in the CRM.',
          )}
        </Typography.Paragraph>
        {q.isLoading ? (
          <Spin />
        ) : q.error ? (
          <ErrorState error={q.error} retry={() => void q.refetch()} />
        ) : (
          <Alert
            data-testid="feed-status"
            type={active ? 'success' : 'info'}
            showIcon
            style={{ marginBottom: 12 }}
            title={active ? t(`订阅已开启（链接生成于 ${fmtTime(q.data?.issuedAt)}）`, `The subscription is on (link made at ${fmtTime(q.data?.issuedAt)})`) : t('订阅未开启', 'The subscription is off')}
          />
        )}
        {issued && (
          <div data-testid="feed-issued" style={{ marginBottom: 12 }}>
            <Alert
              type="warning"
              showIcon
              style={{ marginBottom: 8 }}
              title={t('链接只显示这一次，请立即复制。拿到链接的人都能看到你的日程，请勿分享。', 'The link shows only this once: copy it now. Anyone with it sees your schedule; do not share it.')}
            />
            <Space.Compact style={{ width: '100%' }}>
              <Input readOnly value={url} aria-label={t('订阅链接', 'Subscription link')} data-testid="feed-url" onFocus={(ev) => ev.target.select()} />
              <Button icon={<CopyOutlined />} onClick={() => void copy()} data-testid="feed-copy">
                {t('复制', 'Copy')}
              </Button>
            </Space.Compact>
            <ul style={{ marginTop: 12, paddingInlineStart: 20 }} data-testid="feed-howto">
              <li>{t('Outlook：日历 → 添加日历 → 从 Internet 订阅，粘贴链接。', 'Outlook: Calendar → Add calendar → Subscribe from web, paste the link.')}</li>
              <li>{t('Apple 日历：文件 → 新建日历订阅，粘贴链接（iPhone：设置 → 日历 → 账户 → 添加账户 → 其他 → 添加已订阅的日历）。', 'Apple Calendar: File → New Calendar Subscription, paste the link (iPhone: Settings → Calendar → Accounts → Add Account → Other → Add Subscribed Calendar).')}</li>
              <li>{t('Google 日历：其他日历 → + → 通过网址添加，粘贴链接（Google 每隔数小时才更新一次）。', 'Google Calendar: Other calendars → + → From URL, paste the link (Google refreshes it only every few hours).')}</li>
            </ul>
          </div>
        )}
        <Space wrap>
          <Button type="primary" loading={busy} onClick={askIssue} data-testid="feed-issue" disabled={q.isLoading}>
            {active || issued ? t('重新生成链接', 'Make a new link') : t('生成订阅链接', 'Make the link')}
          </Button>
          {(active || issued) && (
            <Button danger onClick={askRevoke} data-testid="feed-revoke">
              {t('关闭订阅', 'Turn off')}
            </Button>
          )}
        </Space>
      </div>
    </Modal>
  );
}
