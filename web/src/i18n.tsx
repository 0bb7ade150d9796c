import { createContext, useContext } from 'react';

export type Lang = 'zh-CN' | 'en';
export const LangContext = createContext<{ lang: Lang; setLang: (l: Lang) => void }>({
  lang: 'zh-CN',
  setLang: () => {},
});

/** t('线索', 'Leads'): each text is written in both languages where it is used. */
export function useT() {
  const { lang } = useContext(LangContext);
  return (zh: string, en: string) => (lang === 'en' ? en : zh);
}
export function useLang() {
  return useContext(LangContext);
}

const PREF = 'chronicle.lang'; // a non-secret UI preference: the sign-in page's language (signed in, the user's own preference rules)
/** The language last chosen in this browser (the sign-in page shows it). */
export function savedLang(): Lang | null {
  try {
    const v = localStorage.getItem(PREF);
    return v === 'en' || v === 'zh-CN' ? v : null;
  } catch {
    return null;
  }
}
export function saveLang(l: Lang) {
  try {
    localStorage.setItem(PREF, l);
  } catch {
    /* private mode */
  }
}
