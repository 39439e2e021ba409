import { describe, expect, it } from 'vitest';
import { findPersonalData, ibanValid, luhnValid, personalDataKey } from './personal-data.js';

const kinds = (t: string) => findPersonalData(t).map((m) => m.kind);

describe('personal data', () => {
  it('checks card numbers with Luhn and bank accounts with mod-97', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(ibanValid('DE89 3704 0044 0532 0130 00')).toBe(true);
    expect(ibanValid('GB29NWBK60161331926819')).toBe(true);
    expect(ibanValid('DE89370400440532013001')).toBe(false);
  });

  it('government ids, several phrasings and field-name styles', () => {
    for (const t of [
      'ID_number: 847261935',
      'national id number is 847261935',
      'nationalIdNumber=847261935',
      'SSN 219-09-9999',
      'My social security number: 219099999',
      'tax id: DE-4471-9921',
      "driver's license number D1234567",
      'Their SSN is 219-09-9999.',
    ])
      expect(kinds(t), t).toEqual(['government-id']);
  });

  it('passports, cards, accounts, dates of birth, home addresses and phones', () => {
    expect(kinds('passport_number: HGK137803')).toEqual(['passport']);
    expect(kinds('Passport No. 533380006')).toEqual(['passport']);
    expect(kinds('my passport number is X1234567')).toEqual(['passport']);
    expect(kinds('4111 1111 1111 1111')).toEqual(['card-number']);
    expect(kinds('credit_card_number: 4237-4252-7456-2574')).toEqual(['card-number']);
    expect(kinds('card ending 4111111111111111')).toEqual(['card-number']);
    expect(kinds('bank_account_number: 0789765432')).toEqual(['bank-account']);
    expect(kinds('pay to DE89 3704 0044 0532 0130 00 today')).toEqual(['bank-account']);
    expect(kinds('IBAN: US133000000121212121212')).toEqual(['bank-account']);
    expect(kinds('date_of_birth: 1985-03-14')).toEqual(['date-of-birth']);
    expect(kinds('She was born on 14 March 1985.')).toEqual(['date-of-birth']);
    expect(kinds('DOB 03/14/1985')).toEqual(['date-of-birth']);
    expect(kinds("street: '1234 Elm Street'")).toEqual(['home-address']);
    expect(kinds('Home address: Dalton Street 123, New York')).toEqual(['home-address']);
    expect(kinds('He lives at 221 Baker Street.')).toEqual(['home-address']);
    expect(kinds('mobile: +44 7700 900123')).toEqual(['phone']);
    expect(kinds('phone_number: (555) 010-4477')).toEqual(['phone']);
  });

  it('benign look-alikes stay unlabelled: ids, amounts, timestamps, public addresses, random digits', () => {
    for (const t of [
      "id_: '34'\nid: 100045",
      'transaction 4111111111111112 amount 98.70',
      'timestamp: 2024-06-20 16:36:04.202055',
      'subject: Birthday Party\ntimestamp: 2024-06-20 17:21:48',
      'address: 123 Main Street, Paris',
      'Restaurant Le Baratin, 3 Rue Jouye-Rouve. Rating 4.8, price 30.00',
      'Order number 8812345678 shipped',
      'US133000000121212121212 sent 100.00',
      'Meeting at 12:00 on 2024-05-19 in Office 44A',
      'the packing list: passport, tickets, phone charger',
    ])
      expect(kinds(t), t).toEqual([]);
  });

  it('keys agree across formatting', () => {
    const [a] = findPersonalData('card: 4111-1111-1111-1111');
    expect(a?.key).toBe(personalDataKey('4111 1111 1111 1111'));
  });
});
